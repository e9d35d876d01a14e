/**
 * The local stack's host process (started detached by testkit/stack/host.ts): the indexer and the
 * assembler on their queues, the stage's HTTP API and a token issuer on loopback, until SIGTERM.
 * Ports come from JOBLOGS_API_PORT / JOBLOGS_ISSUER_PORT; the functions log JSON lines to
 * `.local/logs/functions.log`, the host itself to `.local/logs/host.log`.
 */
import { createWriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildViewer } from '../../viewer/build.js';
import { startIssuer } from '../http/jwt-issuer.js';
import { startLocalApi } from '../http/local-api.js';
import { viewerPages } from '../http/viewer-pages.js';
import { startLocalPipeline } from '../pipeline/start-local-pipeline.js';
import { awsLocalEnv } from './aws.js';
import { FUNCTIONS_LOG, ISSUER_KEY_FILE, writeHostFile } from './host.js';
import { loadStack } from './local-stack.js';

const stack = loadStack();
// The HTTP functions' own AWS clients (S3, SQS, SSM) read moto's endpoint from the environment.
Object.assign(process.env, awsLocalEnv(stack.info));
const functionsLog = createWriteStream(FUNCTIONS_LOG, { flags: 'a' });
const audience = stack.info.resources.signer.environment['JWT_AUDIENCE'] ?? 'joblogs-local';

const issuer = await startIssuer({ audience, port: Number(process.env['JOBLOGS_ISSUER_PORT']), keyFile: ISSUER_KEY_FILE, devTokens: true });
const pipeline = await startLocalPipeline({
  stack,
  indexer: {},
  assembler: {},
  logStream: functionsLog,
  onError: (error) => console.error('[host] runner:', error),
});
await buildViewer();
const viewer = viewerPages({ issuerUrl: issuer.issuer, apiUrl: () => api.url });
const api = await startLocalApi({
  stack: stack.info,
  issuer: issuer.issuer,
  port: Number(process.env['JOBLOGS_API_PORT']),
  logStream: functionsLog,
  fallback: pages,
});

writeHostFile({
  pid: process.pid,
  apiUrl: api.url,
  issuerUrl: issuer.issuer,
  services: process.env['JOBLOGS_HOST_SERVICES'] ?? '',
  startedAt: new Date().toISOString(),
  functionsLog: FUNCTIONS_LOG,
});
console.log(
  `[host] ${new Date().toISOString()} pid ${process.pid}: API ${api.url}, issuer ${issuer.issuer}, functions on ${stack.chunkQueueUrl} and ${stack.info.resources.assembler.queueUrl}`,
);

/**
 * What the API's routes do not take: `/healthz`, and the viewer's pages (`/view/<job>?user=…&team=…`,
 * which gets its token from `/dev/token` for that user and team, on the page's own origin).
 */
async function pages(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (new URL(req.url ?? '/', 'http://local').pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ ok: true, pid: process.pid }));
    return true;
  }
  return viewer(req, res);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`[host] ${signal}: stopping (the runners finish their current batch)`);
  await api.close();
  await pipeline.stop();
  await issuer.close();
  await stack.close();
  functionsLog.end();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
