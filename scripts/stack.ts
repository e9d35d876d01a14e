/**
 * The local stack: real Elasticsearch + moto (S3, SQS, SSM), provisioned from the packaged
 * CloudFormation template of stage `local`.
 *
 *   tsx scripts/stack.ts up       # idempotent: reuses what is already running
 *   tsx scripts/stack.ts status   # exit 0 when both services answer
 *   tsx scripts/stack.ts down     # stops what `up` started (keeps .local/es-data)
 *
 * Ports: JOBLOGS_ES_PORT (default 9201), JOBLOGS_MOTO_PORT (default 5055); the next free port
 * is taken when one is busy. Everything lands in .local/ (logs in .local/logs/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { elasticsearchFailedToBind, elasticsearchRunning, esHealthy, findUnrecordedElasticsearch, startElasticsearch, stopElasticsearch, type EsInstance } from './local/elasticsearch.js';
import { findUnrecordedMoto, MOTO_ACCOUNT_ID, motoHealthy, motoRunning, startMoto, stopMoto, type MotoInstance } from './local/moto.js';
import { withLock } from './local/lock.js';
import { ensureTemplate, packageDir } from './local/package.js';
import { childEnv, LOGS_DIR, REPO_ROOT, STACK_FILE } from './local/paths.js';
import { pickFreePort } from './local/process.js';
import { provision } from './local/provision.js';
import { readStackFile, writeStackFile, type StackInfo } from './local/stack-file.js';

const STAGE = 'local';
const REGION = 'us-east-1';

async function esUsable(es: EsInstance | undefined): Promise<boolean> {
  return !!es && elasticsearchRunning(es) && (await esHealthy(es.url, es.username, es.password).catch(() => false));
}

async function motoUsable(moto: MotoInstance | undefined): Promise<boolean> {
  return !!moto && motoRunning(moto) && (await motoHealthy(moto.url).catch(() => false));
}

async function ensureElasticsearch(previous: EsInstance | undefined): Promise<EsInstance> {
  if (previous && (await esUsable(previous))) {
    console.log(`[stack] Elasticsearch already up on ${previous.url} (pid ${previous.pid})`);
    return previous;
  }
  const adopted = await findUnrecordedElasticsearch();
  if (adopted) {
    console.log(`[stack] adopting the unrecorded Elasticsearch on ${adopted.url} (pid ${adopted.pid})`);
    return adopted;
  }
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
  if (previous && (await motoUsable(previous))) {
    console.log(`[stack] moto already up on ${previous.url} (pid ${previous.pid})`);
    return previous;
  }
  const adopted = await findUnrecordedMoto();
  if (adopted) {
    console.log(`[stack] adopting the unrecorded moto on ${adopted.url} (pid ${adopted.pid})`);
    return adopted;
  }
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

function runEsSetup(stage: string, es: EsInstance): void {
  const { retentionDays } = esSetupSettings(stage);
  execFileSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'scripts', 'es-setup.ts'), '--stage', stage, '--node', es.url, '--retention-days', String(retentionDays)],
    { cwd: REPO_ROOT, env: childEnv({ ES_USERNAME: es.username, ES_PASSWORD: es.password }), stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export async function up(): Promise<StackInfo> {
  mkdirSync(LOGS_DIR, { recursive: true });
  const previous = readStackFile();
  // Packaging (esbuild) and the JVM both want the CPU; start the services first, package meanwhile.
  const servicesReady = Promise.all([ensureElasticsearch(previous?.elasticsearch), ensureMotoServer(previous?.moto)]);
  const templateReady = ensureTemplate(STAGE);
  templateReady.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const [elasticsearch, moto] = await servicesReady;
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
  });
  console.log(`[stack] provisioned bucket ${resources.bucket}, queue ${resources.chunkQueueUrl}, DLQ ${resources.deadLetterQueueUrl}`);
  runEsSetup(STAGE, elasticsearch);
  const stack: StackInfo = { region: REGION, accountId: MOTO_ACCOUNT_ID, elasticsearch, moto, resources, updatedAt: new Date().toISOString() };
  writeStackFile(stack);
  console.log(`[stack] ready: ${path.relative(REPO_ROOT, STACK_FILE)}`);
  return stack;
}

export async function down(): Promise<void> {
  const stack = readStackFile();
  if (stack) await Promise.all([stopElasticsearch(stack.elasticsearch.pid), stopMoto(stack.moto.pid)]);
  // Also those of this checkout that a killed run left unrecorded.
  for (let es = await findUnrecordedElasticsearch(); es; es = await findUnrecordedElasticsearch()) await stopElasticsearch(es.pid);
  for (let moto = await findUnrecordedMoto(); moto; moto = await findUnrecordedMoto()) await stopMoto(moto.pid);
  rmSync(STACK_FILE, { force: true });
  console.log('[stack] stopped Elasticsearch and moto');
}

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

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await withLock('stack', up);
      return 0;
    case 'down':
      await withLock('stack', down);
      return 0;
    case 'status':
      return (await status()) ? 0 : 1;
    default:
      console.error('usage: tsx scripts/stack.ts up|down|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error('[stack] failed:', error);
    process.exitCode = 1;
  },
);
