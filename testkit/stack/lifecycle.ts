/**
 * Bringing the local stack up and down: real Elasticsearch + moto (S3, SQS, SSM), provisioned
 * from the packaged CloudFormation template of stage `local`, recorded in `.local/stack.json`.
 * `scripts/stack.ts` is the command line over this; tests and benchmarks call it directly.
 *
 * @example
 * const info = await ensureStackUp();                        // `up` unless it answers already
 * await withLocalStack(async (stack) => measure(stack));     // benchmarks: leave the stack as found
 *
 * Ports: JOBLOGS_ES_PORT (default 9201), JOBLOGS_MOTO_PORT (default 5055); the next free port is
 * taken when one is busy. Everything lands in .local/ (logs in .local/logs/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { childEnv, LOGS_DIR, REPO_ROOT, STACK_FILE } from '../paths.js';
import { ensureEsUsers, readerCredentials, elasticsearchFailedToBind, elasticsearchRunning, esHealthy, findUnrecordedElasticsearch, startElasticsearch, stopElasticsearch, type EsInstance } from './elasticsearch.js';
import { withLock } from './lock.js';
import { findUnrecordedMoto, MOTO_ACCOUNT_ID, motoHealthy, motoRunning, startMoto, stopMoto, type MotoInstance } from './moto.js';
import { ensureTemplate, packageDir } from './package.js';
import { pickFreePort } from './process.js';
import { provision } from './provision.js';
import { readStackFile, writeStackFile, type ProvisionedStack, type StackInfo } from './stack-file.js';

const STAGE = 'local';
const REGION = 'us-east-1';

async function esUsable(es: EsInstance | undefined): Promise<boolean> {
  return !!es && elasticsearchRunning(es) && (await esHealthy(es.url, es.username, es.password).catch(() => false));
}

async function motoUsable(moto: MotoInstance | undefined): Promise<boolean> {
  return !!moto && motoRunning(moto) && (await motoHealthy(moto.url).catch(() => false));
}

/** True when `.local/stack.json` names a provisioned stack whose services answer. */
export async function stackIsUp(info: StackInfo | undefined = readStackFile()): Promise<boolean> {
  if (!info?.resources) return false;
  return (await esUsable(info.elasticsearch)) && (await motoUsable(info.moto));
}

/** The service if it runs already: the recorded one when it answers, else one of ours a killed run left unrecorded. */
async function alreadyRunning<T extends { url: string; pid: number }>(
  name: string,
  previous: T | undefined,
  usable: (service: T) => Promise<boolean>,
  findUnrecorded: () => Promise<T | undefined>,
): Promise<T | undefined> {
  if (previous && (await usable(previous))) {
    console.log(`[stack] ${name} already up on ${previous.url} (pid ${previous.pid})`);
    return previous;
  }
  const adopted = await findUnrecorded();
  if (adopted) console.log(`[stack] adopting the unrecorded ${name} on ${adopted.url} (pid ${adopted.pid})`);
  return adopted;
}

async function ensureElasticsearch(previous: EsInstance | undefined): Promise<EsInstance> {
  const running = await alreadyRunning('Elasticsearch', previous, esUsable, findUnrecordedElasticsearch);
  if (running) return running;
  let preferred = Number(process.env.JOBLOGS_ES_PORT ?? previous?.port ?? 9201);
  // A port seen free can be taken before the JVM binds it (another stack on this machine): retry higher.
  for (let attempt = 1; ; attempt++) {
    const port = await pickFreePort(preferred);
    const transportPort = await pickFreePort(port + 100);
    console.log(`[stack] starting Elasticsearch on 127.0.0.1:${port}`);
    try {
      const es = await startElasticsearch({ port, transportPort });
      console.log(`[stack] Elasticsearch up on ${es.url} (pid ${es.pid})`);
      return es;
    } catch (error) {
      if (attempt >= 3 || !elasticsearchFailedToBind()) throw error;
      console.log(`[stack] port taken meanwhile; retrying`);
      preferred = port + 1;
    }
  }
}

async function ensureMotoServer(previous: MotoInstance | undefined): Promise<MotoInstance> {
  const running = await alreadyRunning('moto', previous, motoUsable, findUnrecordedMoto);
  if (running) return running;
  const port = await pickFreePort(Number(process.env.JOBLOGS_MOTO_PORT ?? previous?.port ?? 5055));
  console.log(`[stack] starting moto on 127.0.0.1:${port}`);
  const moto = await startMoto(port);
  console.log(`[stack] moto up on ${moto.url} (pid ${moto.pid})`);
  return moto;
}

/** `custom.esSetup` as `sls package` resolved it for the stage (serverless-state.json). */
function esSetupSettings(stage: string): { retentionDays: number } {
  const state = JSON.parse(readFileSync(path.join(packageDir(stage), 'serverless-state.json'), 'utf8')) as {
    service: { custom: { esSetup: { retentionDays: number } } };
  };
  return state.service.custom.esSetup;
}

/** The deploy step itself (deploy/es-setup.ts), run as on a deploy: the stage's templates in the local Elasticsearch. */
function runEsSetup(stage: string, es: EsInstance): void {
  const { retentionDays } = esSetupSettings(stage);
  execFileSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'deploy', 'es-setup.ts'), '--stage', stage, '--node', es.url, '--retention-days', String(retentionDays)],
    { cwd: REPO_ROOT, env: childEnv({ ES_USERNAME: es.username, ES_PASSWORD: es.password }), stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

/** Starts what is not running (adopting what is), provisions moto from the template, records the stack. Idempotent. */
export async function up(): Promise<ProvisionedStack> {
  mkdirSync(LOGS_DIR, { recursive: true });
  const previous = readStackFile();
  // Packaging (esbuild) and the JVM both want the CPU; start the services first, package meanwhile.
  const servicesReady = Promise.all([ensureElasticsearch(previous?.elasticsearch), ensureMotoServer(previous?.moto)]);
  const templateReady = ensureTemplate(STAGE);
  templateReady.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const [elasticsearch, moto] = await servicesReady;
  // A node started by an older `up` may lack the reader; it reloads its user files by itself.
  ensureEsUsers();
  // Recorded before provisioning, so `down` can stop them even if a later step fails.
  writeStackFile({ region: REGION, accountId: MOTO_ACCOUNT_ID, elasticsearch, moto, updatedAt: new Date().toISOString() });
  const template = await templateReady;
  const resources = await provision({
    template,
    templatePath: path.relative(REPO_ROOT, path.join(packageDir(STAGE), 'cloudformation-template-update-stack.json')),
    stage: STAGE,
    region: REGION,
    accountId: MOTO_ACCOUNT_ID,
    motoUrl: moto.url,
    esNode: elasticsearch.url,
    esCredentials: { username: elasticsearch.username, password: elasticsearch.password },
    esReaderCredentials: readerCredentials(),
  });
  console.log(`[stack] provisioned bucket ${resources.bucket}, queue ${resources.chunkQueueUrl}, DLQ ${resources.deadLetterQueueUrl}`);
  runEsSetup(STAGE, elasticsearch);
  const stack: ProvisionedStack = { region: REGION, accountId: MOTO_ACCOUNT_ID, elasticsearch, moto, resources, updatedAt: new Date().toISOString() };
  writeStackFile(stack);
  console.log(`[stack] ready: ${path.relative(REPO_ROOT, STACK_FILE)}`);
  return stack;
}

/** Stops what `up` started (and what a killed run left unrecorded); keeps `.local/es-data`. */
export async function down(): Promise<void> {
  const stack = readStackFile();
  if (stack) await Promise.all([stopElasticsearch(stack.elasticsearch.pid), stopMoto(stack.moto.pid)]);
  for (let es = await findUnrecordedElasticsearch(); es; es = await findUnrecordedElasticsearch()) await stopElasticsearch(es.pid);
  for (let moto = await findUnrecordedMoto(); moto; moto = await findUnrecordedMoto()) await stopMoto(moto.pid);
  rmSync(STACK_FILE, { force: true });
  console.log('[stack] stopped Elasticsearch and moto');
}

/** Prints where the services are and whether they answer; true when both do. */
export async function status(): Promise<boolean> {
  const stack = readStackFile();
  const es = await esUsable(stack?.elasticsearch);
  const moto = await motoUsable(stack?.moto);
  console.log(JSON.stringify({
    stackFile: existsSync(STACK_FILE) ? path.relative(REPO_ROOT, STACK_FILE) : null,
    elasticsearch: stack ? { url: stack.elasticsearch.url, pid: stack.elasticsearch.pid, healthy: es } : null,
    moto: stack ? { url: stack.moto.url, pid: stack.moto.pid, healthy: moto } : null,
  }, null, 2));
  return es && moto;
}

/** `up` and `down` hold `.local/stack.lock`: a second terminal's `npm test` waits instead of starting a second node. */
export const stackUp = (): Promise<ProvisionedStack> => withLock('stack', up);
export const stackDown = (): Promise<void> => withLock('stack', down);

/** Brings the stack up unless it already answers; returns the stack file. */
export async function ensureStackUp(): Promise<ProvisionedStack> {
  const info = readStackFile();
  if (info?.resources && (await stackIsUp(info))) return info as ProvisionedStack;
  return stackUp();
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
 * else has taken over is theirs to stop).
 *
 * @example
 * await withLocalStack((stack) => measure(stack, options));
 */
export async function withLocalStack<T>(fn: (stack: ProvisionedStack) => Promise<T>): Promise<T> {
  let started: Array<{ name: 'elasticsearch' | 'moto'; pid: number }> = [];
  if (!(await stackIsUp())) {
    console.error('[bench] local stack not up: bringing it up');
    const before = Date.now();
    const info = await stackUp();
    started = ([
      { name: 'elasticsearch', pid: info.elasticsearch.pid },
      { name: 'moto', pid: info.moto.pid },
    ] as const).filter((s) => bornAfter(s.pid, before));
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
  }
}
