/**
 * The quick-start demo: a small training job runs under the `joblogs` shipper on the local stack —
 * its output goes through the real pipeline: gzip chunks into S3 (moto) → bucket notification →
 * SQS → event-source runner → indexer handler → Elasticsearch — then the demo prints how many
 * lines are searchable and how to query them. The job's final marker also starts the assembler
 * (its own queue and runner), which builds the job's download file; the demo prints a link to it.
 *
 *   tsx scripts/stack.ts up && tsx scripts/demo.ts      (npm run demo does both)
 */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Client } from '@elastic/elasticsearch';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAssemblerHandler } from '../functions/assembler/create-handler.js';
import { createIndexerHandler } from '../functions/indexer/create-handler.js';
import { loadAssemblerConfig } from '../shared/config/assembler-config.js';
import { loadIndexerConfig } from '../shared/config/indexer-config.js';
import { downloadKey } from '../shared/core/download/index.js';
import { mappingOptions, startRunner } from './local/esm-runner.js';
import { REPO_ROOT } from './local/paths.js';
import { awsLocalEnv, readStackFile } from './local/stack-file.js';

const STEPS = 2000;
/** Lines the demo program prints: one per step, the traceback's two extra lines replace two steps. */
const PRINTED_LINES = STEPS;

async function main(): Promise<void> {
  const stack = readStackFile();
  if (!stack?.resources) throw new Error('The local stack is not up: run `npx tsx scripts/stack.ts up` first');
  const env = { ...stack.resources.function.environment, ES_NODE: stack.elasticsearch.url, ...awsLocalEnv(stack), S3_FORCE_PATH_STYLE: 'true' };
  Object.assign(process.env, env);
  const fn = stack.resources.function;
  const aws = { region: stack.region, endpoint: stack.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const sqs = new SQSClient(aws);
  const es = new Client({ node: stack.elasticsearch.url, auth: { username: stack.elasticsearch.username, password: stack.elasticsearch.password } });

  const runner = await startRunner({
    queueUrl: stack.resources.chunkQueueUrl,
    sqsClient: sqs,
    handler: createIndexerHandler(loadIndexerConfig(env)),
    ...mappingOptions(fn),
    region: stack.region,
  });

  const asm = stack.resources.assembler;
  const assembler = await startRunner({
    queueUrl: asm.queueUrl,
    sqsClient: sqs,
    handler: createAssemblerHandler(loadAssemblerConfig({ ...asm.environment, ...awsLocalEnv(stack), S3_FORCE_PATH_STYLE: 'true' })),
    ...mappingOptions(asm),
    region: stack.region,
  });
  const s3 = new S3Client({ ...aws, forcePathStyle: true });

  const jobId = `demo-${randomBytes(3).toString('hex')}`;
  const traceId = randomBytes(16).toString('hex');
  const dataStream = `logs-mlplatform.job-${stack.resources.stage}`;
  console.log(`[demo] running a training job under \`joblogs run\` as job ${jobId} → s3://${stack.resources.bucket}/chunks/v1/${jobId}/main/`);
  const shippedAt = Date.now();
  const job = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'cli', 'joblogs.mjs'), 'run',
      '--job-id', jobId, '--bucket', stack.resources.bucket, '--service', 'trainer', '--owner', 'demo-user', '--team', 'demo-team',
      '--spool-dir', mkdtempSync(path.join(tmpdir(), 'joblogs-demo-spool-')),
      '--', process.execPath, path.join(REPO_ROOT, 'scripts', 'demo-training.mjs'), String(STEPS),
    ],
    { env: { ...process.env, TRACEPARENT: `00-${traceId}-${randomBytes(8).toString('hex')}-01` }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const [exitCode] = (await once(job, 'exit')) as [number | null];
  console.log(`[demo] the job exited with ${exitCode}; its stdout was passed through (hidden here), its stderr is above`);
  const total = PRINTED_LINES;

  let searchable = 0;
  const giveUp = Date.now() + 120_000;
  while (searchable < total && Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 500));
    await es.indices.refresh({ index: dataStream }).catch(() => undefined);
    searchable = (await es.count({ index: dataStream, query: { term: { 'labels.job_id': jobId } } }).catch(() => ({ count: 0 }))).count;
  }
  const seconds = ((Date.now() - shippedAt) / 1000).toFixed(1);
  await runner.stop();

  // The download file: assembled when the job's final marker arrived.
  const key = downloadKey(jobId);
  let download: Record<string, string> | undefined;
  while (!download && Date.now() < giveUp) {
    download = (await s3.send(new HeadObjectCommand({ Bucket: stack.resources.bucket, Key: key })).catch(() => undefined))?.Metadata;
    if (!download) await new Promise((r) => setTimeout(r, 500));
  }
  await assembler.stop();

  const errors = await es.search({
    index: dataStream,
    size: 5,
    query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { terms: { 'log.level': ['warning', 'error'] } }] } },
    sort: [{ 'event.sequence': 'asc' }],
  });
  console.log(`\n[demo] ${searchable} of ${total} lines searchable in Elasticsearch ${seconds} s after the job started (data stream ${dataStream})`);
  console.log('[demo] warnings and errors of the job:');
  for (const hit of errors.hits.hits) {
    const d = hit._source as { '@timestamp': string; log?: { level?: string }; message: string };
    console.log(`  ${d['@timestamp']}  ${(d.log?.level ?? '').padEnd(7)} ${d.message}`);
  }
  const { username, password, url } = stack.elasticsearch;
  console.log('\n[demo] try it yourself (the stack keeps running; `npm run stack:down` stops it):');
  console.log(`  curl -s -u ${username}:${password} '${url}/${dataStream}/_search?pretty&size=3&sort=event.sequence:asc&q=labels.job_id:${jobId}'`);
  console.log(`  curl -s -u ${username}:${password} '${url}/${dataStream}/_count?pretty&q=trace.id:${traceId}'`);
  console.log(`  Kibana (KQL): labels.job_id : "${jobId}" and log.level : ("warning" or "error")`);
  if (download) {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: stack.resources.bucket, Key: key }), { expiresIn: 900 });
    console.log(`\n[demo] download file s3://${stack.resources.bucket}/${key}: ${download['line-count']} lines, status ${download['status']}, owner ${download['owner']}/${download['team']}`);
    console.log(`  curl -s '${url}' | gunzip | head -5      # link valid 15 min (the signer hands these out: GET /jobs/{jobId}/logs)`);
  }
  await es.close();
  sqs.destroy();
  s3.destroy();
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
