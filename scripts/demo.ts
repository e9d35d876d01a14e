/**
 * The quick-start demo: a small training job's output goes through the real pipeline on the local
 * stack — gzip chunks into S3 (moto) → bucket notification → SQS → event-source runner → indexer
 * handler → Elasticsearch — then prints how many lines are searchable and how to query them.
 *
 *   tsx scripts/stack.ts up && tsx scripts/demo.ts      (npm run demo does both)
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@elastic/elasticsearch';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createIndexerHandler } from '../functions/indexer/create-handler.js';
import { loadIndexerConfig } from '../shared/config/indexer-config.js';
import { chunkKey } from '../shared/core/index.js';
import { startRunner } from './local/esm-runner.js';
import { awsLocalEnv, readStackFile } from './local/stack-file.js';

const LINES_PER_CHUNK = 250;
const CHUNKS = 8;

/** What a small PyTorch-style training run prints: text logs, JSON metrics, a warning, a traceback. */
function trainingOutput(jobId: string, traceId: string): string[][] {
  const start = Date.parse('2026-11-25T10:00:00.000Z');
  const chunks: string[][] = [];
  let step = 0;
  for (let c = 0; c < CHUNKS; c++) {
    const lines: string[] = [];
    for (let i = 0; i < LINES_PER_CHUNK; i++, step++) {
      const at = new Date(start + step * 40).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
      const loss = (2.5 * Math.exp(-step / 700) + 0.05).toFixed(4);
      if (step === 0) lines.push(`${at} INFO trainer: starting job ${jobId} on 8 GPUs`);
      else if (step % 50 === 0)
        lines.push(JSON.stringify({ level: 30, time: start + step * 40, msg: 'metrics', step, loss: Number(loss), lr: 3e-4, trace_id: traceId }));
      else if (step === 777) lines.push(`${at} WARNING torch.cuda: memory fragmentation above 30%`);
      else if (step === CHUNKS * LINES_PER_CHUNK - 4) {
        lines.push(`${at} ERROR trainer: rank 3 stopped responding`, 'Traceback (most recent call last):', '  File "train.py", line 88, in <module>');
        i += 2;
        step += 2;
      } else lines.push(`${at} INFO trainer: epoch ${Math.floor(step / 500)} step ${step} loss=${loss}`);
    }
    chunks.push(lines);
  }
  return chunks;
}

async function main(): Promise<void> {
  const stack = readStackFile();
  if (!stack?.resources) throw new Error('The local stack is not up: run `npx tsx scripts/stack.ts up` first');
  const env = { ...stack.resources.function.environment, ES_NODE: stack.elasticsearch.url, ...awsLocalEnv(stack), S3_FORCE_PATH_STYLE: 'true' };
  Object.assign(process.env, env);
  const fn = stack.resources.function;
  const aws = { region: stack.region, endpoint: stack.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const sqs = new SQSClient(aws);
  const es = new Client({ node: stack.elasticsearch.url, auth: { username: stack.elasticsearch.username, password: stack.elasticsearch.password } });

  const runner = await startRunner({
    queueUrl: stack.resources.chunkQueueUrl,
    sqsClient: sqs,
    handler: createIndexerHandler(loadIndexerConfig(env)),
    batchSize: fn.batchSize,
    batchingWindowS: fn.batchingWindowS,
    functionTimeoutS: fn.timeoutS,
    reportBatchItemFailures: fn.reportBatchItemFailures,
    functionName: fn.functionName,
    region: stack.region,
  });

  const jobId = `demo-${randomBytes(3).toString('hex')}`;
  const traceId = randomBytes(16).toString('hex');
  const chunks = trainingOutput(jobId, traceId);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const dataStream = `logs-mlplatform.job-${stack.resources.stage}`;
  console.log(`[demo] shipping ${total} lines of job ${jobId} as ${chunks.length} gzip chunks to s3://${stack.resources.bucket}/chunks/v1/${jobId}/main/`);
  const shippedAt = Date.now();
  for (const [seq, lines] of chunks.entries()) {
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.resources.bucket,
        Key: chunkKey({ jobId, source: 'main', seq }),
        Body: gzipSync(`${lines.join('\n')}\n`),
        Metadata: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, service: 'trainer', producer: 'joblogs-demo' },
      }),
    );
  }

  let searchable = 0;
  const giveUp = Date.now() + 120_000;
  while (searchable < total && Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 500));
    await es.indices.refresh({ index: dataStream }).catch(() => undefined);
    searchable = (await es.count({ index: dataStream, query: { term: { 'labels.job_id': jobId } } }).catch(() => ({ count: 0 }))).count;
  }
  const seconds = ((Date.now() - shippedAt) / 1000).toFixed(1);
  await runner.stop();

  const errors = await es.search({
    index: dataStream,
    size: 5,
    query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { terms: { 'log.level': ['warning', 'error'] } }] } },
    sort: [{ 'event.sequence': 'asc' }],
  });
  console.log(`\n[demo] ${searchable} of ${total} lines searchable in Elasticsearch after ${seconds}s (data stream ${dataStream})`);
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
  await es.close();
  s3.destroy();
  sqs.destroy();
  if (searchable !== total) {
    console.error(`[demo] only ${searchable}/${total} lines arrived`);
    process.exitCode = 1;
  }
}

await main();
