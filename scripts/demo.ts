/**
 * The quick-start demo: a small training job runs under the `joblogs` shipper on the local stack —
 * its output goes through the real pipeline: gzip chunks into S3 (moto) → bucket notification →
 * SQS → the host's indexer → Elasticsearch, and on its final marker the host's assembler builds
 * the download file — then the demo reads the job back through the logs API and the signer, as
 * the platform UI does, and prints how to do the same by hand.
 *
 *   tsx scripts/stack.ts up && tsx scripts/demo.ts      (npm run demo does both)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerJob } from '../shared/launcher/index.js';
import { eventually, REPO_ROOT } from '../testkit/index.js';
import { runningHost, type HostInfo } from '../testkit/stack/host.js';
import { loadStack, type LocalStack } from '../testkit/stack/index.js';
import { devTokenCommand, producerEnv, viewerUrl } from '../testkit/stack/quick-start.js';
import { sdkObjectClient } from '../shared/adapters/s3/sdk-object-client.js';

const STEPS = 2000;
/** Lines the demo program prints: one per step, the traceback's two extra lines replace two steps. */
const PRINTED_LINES = STEPS;
const WHO = { owner: 'demo-user', team: 'demo-team' };

/** Runs the demo program under `joblogs run` as job `jobId`, as a user would; resolves with its exit code. */
async function runDemoJob(stack: LocalStack, jobId: string, traceId: string): Promise<number | null> {
  // What the platform's launcher does first: record who owns the job (docs/security.md).
  await registerJob({ s3: sdkObjectClient(stack.s3), bucket: stack.bucket, jobId, ...WHO });
  const job = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'cli', 'joblogs.mjs'),
      'run',
      '--job-id',
      jobId,
      '--service',
      'trainer',
      '--spool-dir',
      mkdtempSync(path.join(tmpdir(), 'joblogs-demo-spool-')),
      '--',
      process.execPath,
      path.join(REPO_ROOT, 'scripts', 'demo-training.mjs'),
      String(STEPS),
    ],
    {
      env: { ...process.env, ...producerEnv(stack.info), TRACEPARENT: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const [exitCode] = (await once(job, 'exit')) as [number | null];
  return exitCode;
}

/** GET on the local API with a dev token, as the platform UI calls it. */
function apiClient(host: HostInfo, token: string) {
  return async <T>(route: string): Promise<T> => {
    const response = await fetch(`${host.apiUrl}${route}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

interface Summary {
  status: string;
  exitCode: number | null;
  lineCount: number;
  levels: Record<string, number>;
  errors: { total: number; positions: Array<{ line: number }> };
}

async function main(): Promise<void> {
  const stack = loadStack();
  const host = await runningHost();
  if (!host) throw new Error('The local stack runs no host: `npm run stack:up` starts it (npm run demo does)');
  const jobId = `demo-${randomBytes(3).toString('hex')}`;
  const traceId = randomBytes(16).toString('hex');
  console.log(`[demo] running a training job under \`joblogs run\` as job ${jobId} → s3://${stack.bucket}/chunks/v1/${jobId}/main/`);
  const shippedAt = Date.now();
  const exitCode = await runDemoJob(stack, jobId, traceId);
  console.log(`[demo] the job exited with ${exitCode}; its stdout was passed through (hidden here), its stderr is above`);

  const { token } = (await (await fetch(`${host.issuerUrl}/dev/token?user=${WHO.owner}&team=${WHO.team}`)).json()) as { token: string };
  const get = apiClient(host, token);
  const summary = await eventually(
    () => get<Summary>(`/jobs/${jobId}`),
    (s) => s.status === 'complete',
    'every line searchable',
    120_000,
  ).catch(() => get<Summary>(`/jobs/${jobId}`));
  const seconds = ((Date.now() - shippedAt) / 1000).toFixed(1);
  const searchable = Object.values(summary.levels).reduce((a, b) => a + b, 0);
  console.log(
    `\n[demo] ${searchable} of ${PRINTED_LINES} lines readable through the logs API ${seconds} s after the job started; exit code ${summary.exitCode}, ${summary.errors.total} error lines`,
  );
  const problems = await get<{ matches: Array<{ line: number; level: string; text: string }> }>(
    `/jobs/${jobId}/search?q=${encodeURIComponent('trainer rank')}&limit=5`,
  );
  for (const m of problems.matches) console.log(`  line ${m.line}  ${(m.level ?? '').padEnd(7)} ${m.text}`);
  const link = await eventually(
    () => get<{ status: string; downloadUrl: string | null }>(`/jobs/${jobId}/logs`),
    (s) => s.status === 'complete',
    'the download file',
    120_000,
  ).catch(() => undefined);
  await stack.close();

  console.log(`\n[demo] open the job in the log viewer: ${viewerUrl(host, jobId, WHO.owner, WHO.team)}`);
  console.log('\n[demo] or read it yourself (the stack keeps running; `npm run stack:down` stops it):');
  console.log(`  TOKEN=$(${devTokenCommand(host, WHO.owner, WHO.team)})`);
  console.log(`  curl -s -H "Authorization: Bearer $TOKEN" ${host.apiUrl}/jobs/${jobId}`);
  console.log(`  curl -s -H "Authorization: Bearer $TOKEN" "${host.apiUrl}/jobs/${jobId}/lines?before=end&limit=10"`);
  console.log(`  curl -s -H "Authorization: Bearer $TOKEN" "${host.apiUrl}/jobs/${jobId}/search?q=%22stopped+responding%22"`);
  console.log(`  curl -s -H "Authorization: Bearer $TOKEN" ${host.apiUrl}/jobs/${jobId}/logs     # the download link (docs/downloads.md)`);
  console.log(`  Kibana (KQL): labels.job_id : "${jobId}" or trace.id : "${traceId}"`);
  if (link?.downloadUrl) console.log(`\n[demo] download file (link valid 15 min): curl -s '${link.downloadUrl}' | gunzip | head -5`);
  if (searchable !== PRINTED_LINES || summary.status !== 'complete') {
    console.error(`[demo] only ${searchable}/${PRINTED_LINES} lines arrived`);
    process.exitCode = 1;
  }
  if (!link?.downloadUrl) {
    console.error('[demo] no download file was assembled');
    process.exitCode = 1;
  }
}

await main();
