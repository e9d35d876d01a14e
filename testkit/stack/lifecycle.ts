/**
 * Bringing the local stack up and down: a real search cluster (Elasticsearch 9 by default, or
 * Elasticsearch 8 / OpenSearch 2: testkit/stack/cluster.ts) + moto (S3, SQS, SSM), provisioned
 * from the packaged CloudFormation template of stage `local`, recorded in `.local/stack.json`.
 * `scripts/stack.ts` is the command line over this; tests and benchmarks call it directly.
 *
 * @example
 * const info = await ensureStackUp();                        // `up` unless it answers already
 * await stackUp({ cluster: 'opensearch-2' });                // another kind: the running cluster is replaced
 * await withLocalStack(async (stack) => measure(stack));     // benchmarks: leave the stack as found
 *
 * Ports: JOBLOGS_ES_PORT (default 9201, any kind), JOBLOGS_MOTO_PORT (default 5055); the next free port is
 * taken when one is busy. Everything lands in .local/ (logs in .local/logs/).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { childEnv, LOGS_DIR, REPO_ROOT, STACK_FILE } from '../paths.js';
import type { ClusterKind } from '../../shared/core/cluster/index.js';
import {
  clusterFailedToBind,
  clusterUsable,
  defaultClusterKind,
  ensureClusterUsers,
  findOurClusters,
  readerCredentials,
  requestedClusterKind,
  startCluster,
  stopCluster,
  type EsInstance,
} from './cluster.js';
import { ensureHost, pauseHost, runningHost, stopHost } from './host.js';
import { withLock } from './lock.js';
import { findOurMotos, MOTO_ACCOUNT_ID, motoHealthy, motoRunning, startMoto, stopMoto, type MotoInstance } from './moto.js';
import { ensureTemplate, packageDir } from './package.js';
import { pickFreePort, waitFor } from './process.js';
import { printQuickStart } from './quick-start.js';
import { provision } from './provision.js';
import { readStackFile, writeStackFile, type ProvisionedStack, type StackInfo } from './stack-file.js';

const STAGE = 'local';
const REGION = 'us-east-1';

const esUsable = clusterUsable;

async function motoUsable(moto: MotoInstance | undefined): Promise<boolean> {
  return !!moto && motoRunning(moto) && (await motoHealthy(moto.url).catch(() => false));
}

/** True when `.local/stack.json` names a provisioned stack whose services answer. */
export async function stackIsUp(info: StackInfo | undefined = readStackFile()): Promise<boolean> {
  if (!info?.resources) return false;
  return (await esUsable(info.elasticsearch)) && (await motoUsable(info.moto));
}

/** How to find, check, start and stop one kind of service. */
interface ServiceKind<T extends { url: string; pid: number }> {
  name: string;
  /** Every live process of ours, answering or not. */
  ours(): T[];
  usable(service: T): Promise<boolean>;
  /** How long a live process may take to answer before it counts as dead (starting, or busy). */
  settleMs: number;
  /** One of ours that is never to be kept (a cluster of another kind): stopped without waiting for it to answer. */
  unwanted?(service: T): boolean;
  start(previous: T | undefined): Promise<T>;
  stop(service: T): Promise<void>;
}

/**
 * One service, never two: the recorded process, else one of ours a killed run left unrecorded, is
 * kept if it answers (given `settleMs` to do so); whatever else of ours lives is stopped, so the
 * functions, the tests and a user's producer always agree on where it is. Only when none answers
 * is a new one started. `started` says whether it is new (and so empty).
 */
async function ensureService<T extends { url: string; pid: number }>(kind: ServiceKind<T>, recorded: T | undefined): Promise<{ service: T; started: boolean }> {
  const candidates = [...(recorded ? [recorded] : []), ...kind.ours()].filter(
    (c, i, all) => all.findIndex((o) => o.pid === c.pid) === i && kind.ours().some((o) => o.pid === c.pid),
  );
  let kept: T | undefined;
  for (const candidate of candidates) {
    if (!kept && !kind.unwanted?.(candidate) && (await answersWithin(() => kind.usable(candidate), kind.settleMs))) {
      console.log(`[stack] ${kind.name} already up on ${candidate.url} (pid ${candidate.pid})${candidate.pid === recorded?.pid ? '' : ', adopted'}`);
      kept = candidate;
      continue;
    }
    const why = kept ? 'a second' : kind.unwanted?.(candidate) ? 'another kind of' : 'an unanswering';
    console.log(`[stack] stopping ${why} ${kind.name} on ${candidate.url} (pid ${candidate.pid})`);
    await kind.stop(candidate);
  }
  if (kept) return { service: kept, started: false };
  return { service: await kind.start(recorded), started: true };
}

async function answersWithin(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  try {
    await waitFor('service', probe, { timeoutMs: ms, intervalMs: 500 });
    return true;
  } catch {
    return false;
  }
}

/** The cluster of `kind`: a running one of another kind counts as not usable, and is stopped. */
function clusterService(kind: ClusterKind): ServiceKind<EsInstance> {
  return {
    name: 'search cluster',
    ours: findOurClusters,
    usable: async (c) => c.kind === kind && (await esUsable(c)),
    unwanted: (c) => (c.kind ?? 'es-9') !== kind,
    settleMs: 120_000,
    stop: stopCluster,
    async start(previous) {
      let preferred = Number(process.env.JOBLOGS_ES_PORT ?? previous?.port ?? 9201);
      // A port seen free can be taken before the JVM binds it (another stack on this machine): retry higher.
      for (let attempt = 1; ; attempt++) {
        const port = await pickFreePort(preferred);
        const transportPort = await pickFreePort(port + 100);
        console.log(`[stack] starting ${kind} on 127.0.0.1:${port}`);
        try {
          const es = await startCluster(kind, { port, transportPort });
          console.log(`[stack] ${kind} up on ${es.url} (pid ${es.pid})`);
          return es;
        } catch (error) {
          if (attempt >= 3 || !clusterFailedToBind(kind)) throw error;
          console.log(`[stack] port taken meanwhile; retrying`);
          preferred = port + 1;
        }
      }
    },
  };
}

const MOTO: ServiceKind<MotoInstance> = {
  name: 'moto',
  ours: findOurMotos,
  usable: motoUsable,
  settleMs: 30_000,
  stop: (m) => stopMoto(m.pid),
  async start(previous) {
    const port = await pickFreePort(Number(process.env.JOBLOGS_MOTO_PORT ?? previous?.port ?? 5055));
    console.log(`[stack] starting moto on 127.0.0.1:${port}`);
    const moto = await startMoto(port);
    console.log(`[stack] moto up on ${moto.url} (pid ${moto.pid})`);
    return moto;
  },
};

/** `custom.esSetup` as `sls package` resolved it for the stage (serverless-state.json). */
function esSetupSettings(stage: string): { retentionDays: number } {
  const state = JSON.parse(readFileSync(path.join(packageDir(stage), 'serverless-state.json'), 'utf8')) as {
    service: { custom: { esSetup: { retentionDays: number } } };
  };
  return state.service.custom.esSetup;
}

/**
 * The deploy step itself (deploy/es-setup.ts), run as on a deploy: the stage's templates in the
 * local cluster. `--lifecycle optional`: the test distributions lack the lifecycle service / ISM.
 */
function runEsSetup(stage: string, es: EsInstance): void {
  const { retentionDays } = esSetupSettings(stage);
  execFileSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [
      path.join(REPO_ROOT, 'deploy', 'es-setup.ts'),
      '--stage',
      stage,
      '--node',
      es.url,
      '--retention-days',
      String(retentionDays),
      '--cluster-kind',
      es.kind,
      '--lifecycle',
      'optional',
    ],
    { cwd: REPO_ROOT, env: childEnv({ ES_USERNAME: es.username, ES_PASSWORD: es.password }), stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export interface UpOptions {
  /** Also keep the functions consuming and the API served (the host); default true. */
  host?: boolean;
  /** The search cluster's kind; default `JOBLOGS_CLUSTER`, else the recorded stack's, else es-9. A running cluster of another kind is replaced. */
  cluster?: ClusterKind;
}

/**
 * Starts what is not running (keeping what is), provisions moto from the template when it is new
 * or the template changed, installs the cluster's templates, records the stack, and (unless
 * `host: false`) makes sure the host runs the functions and serves the API. Idempotent.
 */
export async function up(o: UpOptions = {}): Promise<ProvisionedStack> {
  mkdirSync(LOGS_DIR, { recursive: true });
  const previous = readStackFile();
  // Packaging (esbuild) and the JVM both want the CPU; start the services first, package meanwhile.
  const kind = o.cluster ?? requestedClusterKind() ?? previous?.elasticsearch.kind ?? defaultClusterKind();
  const servicesReady = Promise.all([ensureService(clusterService(kind), previous?.elasticsearch), ensureService(MOTO, previous?.moto)]);
  const templateReady = ensureTemplate(STAGE);
  templateReady.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const [es, moto] = await servicesReady;
  const [elasticsearch, motoServer] = [es.service, moto.service];
  // A node started by an older `up` may lack the reader; it reloads its user files by itself.
  ensureClusterUsers(kind);
  // Recorded before provisioning, so `down` can stop them even if a later step fails.
  writeStackFile({ region: REGION, accountId: MOTO_ACCOUNT_ID, elasticsearch, moto: motoServer, updatedAt: new Date().toISOString() });
  const template = await templateReady;
  const templateHash = createHash('sha256').update(JSON.stringify(template)).digest('hex');
  const templatePath = path.relative(REPO_ROOT, path.join(packageDir(STAGE), 'cloudformation-template-update-stack.json'));
  // Provisioning is idempotent, but a stack that runs for days is left alone unless something changed.
  const kept = !moto.started && !es.started && previous?.resources && previous.templateHash === templateHash ? previous.resources : undefined;
  const resources =
    kept ??
    (await provision({
      template,
      templatePath,
      stage: STAGE,
      region: REGION,
      accountId: MOTO_ACCOUNT_ID,
      motoUrl: motoServer.url,
      esNode: elasticsearch.url,
      clusterKind: elasticsearch.kind,
      esCredentials: { username: elasticsearch.username, password: elasticsearch.password },
      esReaderCredentials: readerCredentials(),
    }));
  console.log(
    kept
      ? `[stack] moto and the template unchanged: provisioning kept`
      : `[stack] provisioned bucket ${resources.bucket}, queue ${resources.chunkQueueUrl}, DLQ ${resources.deadLetterQueueUrl}`,
  );
  runEsSetup(STAGE, elasticsearch);
  const stack: ProvisionedStack = {
    region: REGION,
    accountId: MOTO_ACCOUNT_ID,
    elasticsearch,
    moto: motoServer,
    resources,
    templateHash,
    updatedAt: new Date().toISOString(),
  };
  writeStackFile(stack);
  console.log(`[stack] ready: ${path.relative(REPO_ROOT, STACK_FILE)}`);
  if (o.host !== false) printQuickStart(stack, await ensureHost(stack));
  return stack;
}

/** Stops the host, then what any `up` started (recorded or not, answering or not, any kind); keeps `.local/cluster-data`. */
export async function down(): Promise<void> {
  await stopHost();
  const stack = readStackFile();
  if (stack) await Promise.all([stopCluster(stack.elasticsearch), stopMoto(stack.moto.pid)]);
  await Promise.all([...findOurClusters().map((es) => stopCluster(es)), ...findOurMotos().map((m) => stopMoto(m.pid))]);
  rmSync(STACK_FILE, { force: true });
  console.log('[stack] stopped the host, the search cluster and moto');
}

/** Prints where the services are and whether they answer; true when both do. */
export async function status(): Promise<boolean> {
  const stack = readStackFile();
  const [es, moto, host] = await Promise.all([esUsable(stack?.elasticsearch), motoUsable(stack?.moto), runningHost()]);
  console.log(
    JSON.stringify(
      {
        stackFile: existsSync(STACK_FILE) ? path.relative(REPO_ROOT, STACK_FILE) : null,
        elasticsearch: stack ? { kind: stack.elasticsearch.kind, url: stack.elasticsearch.url, pid: stack.elasticsearch.pid, healthy: es } : null,
        moto: stack ? { url: stack.moto.url, pid: stack.moto.pid, healthy: moto } : null,
        host: host ? { api: host.apiUrl, issuer: host.issuerUrl, pid: host.pid, healthy: true } : null,
      },
      null,
      2,
    ),
  );
  return es && moto;
}

/** `up` and `down` hold `.local/stack.lock`: a second terminal's `npm test` waits instead of starting a second node. */
export const stackUp = (o: UpOptions = {}): Promise<ProvisionedStack> => withLock('stack', () => up(o));
export const stackDown = (): Promise<void> => withLock('stack', down);

/**
 * Brings the services up unless they already answer (without the host: the caller runs its own
 * functions); returns the stack file. The running cluster is kept whatever its kind, unless
 * `JOBLOGS_CLUSTER` asks for another.
 */
export async function ensureStackUp(): Promise<ProvisionedStack> {
  const info = readStackFile();
  const wanted = requestedClusterKind();
  const rightKind = !wanted || (info?.elasticsearch.kind ?? 'es-9') === wanted;
  if (info?.resources && rightKind && (await stackIsUp(info))) return info as ProvisionedStack;
  return stackUp({ host: false, cluster: wanted ?? info?.elasticsearch.kind });
}

function bornAfter(pid: number, since: number): boolean {
  try {
    const ageS = Number(execFileSync('ps', ['-o', 'etimes=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Date.now() - ageS * 1000 >= since - 2000;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` on the local stack and leaves the stack as found: `up` when it is not up, and `down`
 * afterwards only when both services are still the very processes this run started (`up` adopts
 * services that already run, the integration tests restart Elasticsearch, and a stack someone
 * else has taken over is theirs to stop). A running host is paused meanwhile (`fn` runs functions
 * of its own on the stack's queues) and resumed afterwards.
 *
 * @example
 * await withLocalStack((stack) => measure(stack, options));
 */
export async function withLocalStack<T>(fn: (stack: ProvisionedStack) => Promise<T>): Promise<T> {
  let started: Array<{ name: 'elasticsearch' | 'moto'; pid: number }> = [];
  const resumeHost = await pauseHost();
  if (!(await stackIsUp())) {
    console.error('[bench] local stack not up: bringing it up');
    const before = Date.now();
    const info = await stackUp({ host: false });
    started = (
      [
        { name: 'elasticsearch', pid: info.elasticsearch.pid },
        { name: 'moto', pid: info.moto.pid },
      ] as const
    ).filter((s) => bornAfter(s.pid, before));
  }
  try {
    const stack = readStackFile();
    if (!stack?.resources) throw new Error('the local stack is not provisioned');
    return await fn(stack as ProvisionedStack);
  } finally {
    const now = readStackFile();
    const stillOurs = started.length === 2 && now !== undefined && started.every(({ name, pid }) => now[name].pid === pid);
    if (stillOurs) {
      console.error('[bench] stopping the local stack this run started');
      await stackDown();
    } else if (started.length > 0) {
      console.error('[bench] this run started part of the stack, but not all of it is still ours: leaving it up (`npm run stack:down` stops it)');
    }
    await resumeHost();
  }
}
