/**
 * The quick-start demo: a small training job runs under the `joblogs` shipper on the local stack —
 * its output goes through the real pipeline: gzip chunks into S3 (moto) → bucket notification →
 * SQS → event-source runner → indexer handler → Elasticsearch — then the demo prints how many
 * lines are searchable and how to query them. The job's final marker also starts the assembler
 * (its own queue and runner), which builds the job's download file; the demo prints a link to it.
 *
 *   tsx scripts/stack.ts up && tsx scripts/demo.ts      (npm run demo does both)
 *
 * The functions run as testkit's startLocalPipeline starts them for the tests and the load run.
 */
import { registerJob } from '../shared/launcher/index.js';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadKey } from '../shared/core/download/index.js';
import { countJobDocuments, esRequest, eventually, REPO_ROOT } from '../testkit/index.js';
import { startLocalPipeline } from '../testkit/pipeline/index.js';
import { loadStack, type LocalStack } from '../testkit/stack/index.js';

const STEPS = 2000;
/** Lines the demo program prints: one per step, the traceback's two extra lines replace two steps. */
const PRINTED_LINES = STEPS;

/** Runs the demo program under `joblogs run` as job `jobId`; resolves with its exit code. */
async function runDemoJob(stack: LocalStack, jobId: string, traceId: string): Promise<number | null> {
  // What the platform's launcher does first: record who owns the job (docs/security.md).
  await registerJob({ s3: stack.s3, bucket: stack.bucket, jobId, owner: 'demo-user', team: 'demo-team' });
  const job = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'cli', 'joblogs.mjs'), 'run',
      '--job-id', jobId, '--bucket', stack.bucket, '--service', 'trainer',
      '--spool-dir', mkdtempSync(path.join(tmpdir(), 'joblogs-demo-spool-')),
      '--', process.execPath, path.join(REPO_ROOT, 'scripts', 'demo-training.mjs'), String(STEPS),
    ],
    { env: { ...process.env, TRACEPARENT: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const [exitCode] = (await once(job, 'exit')) as [number | null];
  return exitCode;
}

/** The job's warnings and errors, as a user would search for them. */
async function printProblems(stack: LocalStack, dataStream: string, jobId: string): Promise<void> {
  const errors = await esRequest(stack, 'POST', `/${dataStream}/_search`, {
    size: 5,
    query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { terms: { 'log.level': ['warning', 'error'] } }] } },
    sort: [{ 'event.sequence': 'asc' }],
  });
  console.log('[demo] warnings and errors of the job:');
  for (const hit of errors.hits.hits as Array<{ _source: { '@timestamp': string; log?: { level?: string }; message: string } }>) {
    const d = hit._source;
    console.log(`  ${d['@timestamp']}  ${(d.log?.level ?? '').padEnd(7)} ${d.message}`);
  }
}

async function main(): Promise<void> {
  const stack = loadStack();
  // The functions log to stdout, as they would to CloudWatch.
  const pipeline = await startLocalPipeline({ stack, indexer: {}, assembler: {}, logStream: process.stdout });
  const jobId = `demo-${randomBytes(3).toString('hex')}`;
  const traceId = randomBytes(16).toString('hex');
  const dataStream = `logs-mlplatform.job-${stack.info.resources.stage}`;
  console.log(`[demo] running a training job under \`joblogs run\` as job ${jobId} → s3://${stack.bucket}/chunks/v1/${jobId}/main/`);
  const shippedAt = Date.now();
  const exitCode = await runDemoJob(stack, jobId, traceId);
  console.log(`[demo] the job exited with ${exitCode}; its stdout was passed through (hidden here), its stderr is above`);
  const total = PRINTED_LINES;
  const count = () => countJobDocuments(stack, dataStream, jobId).catch(() => 0);
  const searchable = await eventually(count, (n) => n >= total, 'every line searchable', 120_000).catch(count);
  const seconds = ((Date.now() - shippedAt) / 1000).toFixed(1);
  // The download file: assembled when the job's final marker arrived.
  const key = downloadKey(jobId);
  const head = () => stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
  const download = (await eventually(head, (h) => h.Metadata !== undefined, 'the download file', 120_000).catch(() => undefined))?.Metadata;
  await pipeline.stop();

  console.log(`\n[demo] ${searchable} of ${total} lines searchable in Elasticsearch ${seconds} s after the job started (data stream ${dataStream})`);
  await printProblems(stack, dataStream, jobId);
  const { username, password, url } = stack.info.elasticsearch;
  console.log('\n[demo] try it yourself (the stack keeps running; `npm run stack:down` stops it):');
  console.log(`  curl -s -u ${username}:${password} '${url}/${dataStream}/_search?pretty&size=3&sort=event.sequence:asc&q=labels.job_id:${jobId}'`);
  console.log(`  curl -s -u ${username}:${password} '${url}/${dataStream}/_count?pretty&q=trace.id:${traceId}'`);
  console.log(`  Kibana (KQL): labels.job_id : "${jobId}" and log.level : ("warning" or "error")`);
  if (download) {
    const link = await getSignedUrl(stack.s3, new GetObjectCommand({ Bucket: stack.bucket, Key: key }), { expiresIn: 900 });
    console.log(`\n[demo] download file s3://${stack.bucket}/${key}: ${download['line-count']} lines, status ${download['status']}, owner ${download['owner']}/${download['team']}`);
    console.log(`  curl -s '${link}' | gunzip | head -5      # link valid 15 min (the signer hands these out: GET /jobs/{jobId}/logs)`);
  }
  await stack.close();
  if (searchable !== total) {
    console.error(`[demo] only ${searchable}/${total} lines arrived`);
    process.exitCode = 1;
  }
  if (download?.['line-count'] !== String(total)) {
    console.error(`[demo] the download file has ${download?.['line-count'] ?? 'no'} lines, expected ${total}`);
    process.exitCode = 1;
  }
}

await main();
