/**
 * The ingest path on real services: gzip objects put into S3 (moto) → the bucket notification the
 * template declares → SQS (moto) → the event-source runner → the real middy handler → a real
 * search cluster (the stack's kind). Nothing here is mocked.
 */
import { ListObjectsV2Command, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickIndexer, startLocalPipeline, type LocalPipeline, type Runner } from '../../testkit/pipeline/index.js';
import { countDocuments, countJobDocuments, eventually, jobDocuments } from '../../testkit/index.js';
import { chunkKey } from '../../shared/core/contract/index.js';
import { userJsonOf } from '../../shared/core/cluster/features.js';
import { userJsonQuery } from '../../shared/core/ingest/index.js';
import { s3EventBody } from '../fixtures/events.js';
import { loadStack, startSearchClusterAgain, stopSearchCluster, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let stack: LocalStack;
let runner: Runner;
let indexer: LocalPipeline;

async function putChunk(jobId: string, seq: number, lines: string[], metadata: Record<string, string> = {}, body?: Buffer) {
  const key = chunkKey({ jobId, source: 'main', seq });
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.bucket,
      Key: key,
      Body: body ?? gzipSync(`${lines.join('\n')}\n`),
      ContentType: 'application/gzip',
      Metadata: { traceparent: TRACEPARENT, service: 'trainer', producer: 'integration-test', ...metadata },
    }),
  );
  return key;
}

/** Waits until the runner has finished (deleted or failed) `n` more messages than `since`. */
async function settled(since: number, n: number) {
  await eventually(
    async () => runner.stats.deleted,
    (d) => d >= since + n,
    `${n} message(s) to be processed`,
  );
}

function summaries() {
  return indexer.logs.filter((l) => l.message === 'indexer batch done');
}

beforeAll(async () => {
  stack = loadStack();
  indexer = await startLocalPipeline({ stack, indexer: quickIndexer(), purge: true });
  runner = indexer.indexer!;
});

afterAll(async () => {
  await indexer?.stop();
  await stack?.close();
});

describe('ingest path on the local stack', () => {
  it('indexes every line of a job exactly once, in printed order, with job and trace ids and logger fields', async () => {
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    const printed = [
      [
        'Starting training run',
        '2026-11-25 10:00:01,250 INFO trainer: epoch 1 step 10 loss=2.31',
        '{"level":30,"time":1795600000123,"pid":7,"hostname":"gpu-node-1","msg":"checkpoint saved","path":"/ckpt/1"}',
        '{"@timestamp":"2026-11-25T10:00:02.123456Z","log.level":"warn","message":"lr warmup","ecs.version":"8.10.0","trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"}}',
      ],
      [
        '{"event":"eval done","level":"info","timestamp":"2026-11-25T10:00:03.000000Z","accuracy":0.91}',
        '{"asctime":"2026-11-25 10:00:04,000","levelname":"ERROR","name":"data","message":"bad shard","exc_info":"Traceback (most recent call last):\\n  File \\"x.py\\""}',
        'Traceback (most recent call last):',
        '  File "train.py", line 3, in <module>',
      ],
      ['RuntimeError: CUDA out of memory', '{"step":100,"loss":0.12,"metrics":{"top1":0.5}}'],
    ];
    const before = runner.stats.deleted;
    for (const [seq, lines] of printed.entries()) await putChunk(jobId, seq, lines);

    // The traceback's first two lines share a chunk: one event (issue 14); a chunk of plain lines never continues another.
    const count = await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (c) => c >= 9,
      'all lines to be searchable',
    );
    await settled(before, 3);
    expect(count).toBe(9);
    const docs = await jobDocuments(stack, DATA_STREAM, jobId);
    expect(docs.map((d) => d._source.message)).toEqual([
      'Starting training run',
      '2026-11-25 10:00:01,250 INFO trainer: epoch 1 step 10 loss=2.31',
      'checkpoint saved',
      'lr warmup',
      'eval done',
      'bad shard',
      'Traceback (most recent call last):\n  File "train.py", line 3, in <module>',
      'RuntimeError: CUDA out of memory',
      '{"step":100,"loss":0.12,"metrics":{"top1":0.5}}',
    ]);
    expect(new Set(docs.map((d) => d._id)).size).toBe(9);
    const byMessage = Object.fromEntries(docs.map((d) => [d._source.message, d._source]));
    expect(byMessage['Starting training run']).toMatchObject({
      trace: { id: '0af7651916cd43dd8448eb211c80319c' },
      span: { id: 'b7ad6b7169203331' },
      service: { name: 'trainer' },
      labels: { job_id: jobId },
      data_stream: { type: 'logs', dataset: 'mlplatform.job', namespace: 'local' },
      event: { dataset: 'mlplatform.job', sequence: 0 },
    });
    expect(byMessage['2026-11-25 10:00:01,250 INFO trainer: epoch 1 step 10 loss=2.31']).toMatchObject({
      '@timestamp': '2026-11-25T10:00:01.250Z',
      log: { level: 'info' },
    });
    expect(byMessage['checkpoint saved']).toMatchObject({ log: { level: 'info' }, host: { name: 'gpu-node-1' }, json: { pid: 7, path: '/ckpt/1' } });
    expect(byMessage['lr warmup']).toMatchObject({
      '@timestamp': '2026-11-25T10:00:02.123456Z',
      log: { level: 'warn' },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
    });
    expect(byMessage['bad shard']).toMatchObject({ log: { level: 'error', logger: 'data' }, error: { stack_trace: expect.stringContaining('Traceback') } });
    expect(byMessage['eval done'].json).toEqual({ accuracy: 0.91 });

    // User JSON is searchable by path and value (`flattened` on Elasticsearch, `joblogs.json_kv` terms on
    // OpenSearch), kept as written, and the trace id finds the job's lines.
    const userJson = userJsonOf(stack.info.elasticsearch.kind);
    const byJson = (path: string, value: string) =>
      countDocuments(stack, DATA_STREAM, { bool: { filter: [{ term: { 'labels.job_id': jobId } }, userJsonQuery(userJson, path, value)] } });
    expect(await byJson('metrics.top1', '0.5')).toBe(1);
    expect(await byJson('path', '/ckpt/1')).toBe(1);
    expect(await byJson('metrics.top1', '0.6')).toBe(0);
    expect(byMessage['{"step":100,"loss":0.12,"metrics":{"top1":0.5}}']?.json).toEqual({ step: 100, loss: 0.12, metrics: { top1: 0.5 } });
    const byTrace = await countDocuments(stack, DATA_STREAM, {
      bool: { filter: [{ term: { 'labels.job_id': jobId } }, { term: { 'trace.id': '0af7651916cd43dd8448eb211c80319c' } }] },
    });
    expect(byTrace).toBe(8);
  });

  it('creates no duplicates when a message is redelivered or a chunk is uploaded again', async () => {
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    const lines = Array.from({ length: 500 }, (_, i) => `step ${i} loss=${(1 / (i + 1)).toFixed(4)}`);
    let before = runner.stats.deleted;
    const key = await putChunk(jobId, 0, lines);
    await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (c) => c >= 500,
      'the chunk to be indexed',
    );
    await settled(before, 1);

    // The same notification delivered again (SQS is at-least-once)…
    before = runner.stats.deleted;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.chunkQueueUrl, MessageBody: s3EventBody(stack.bucket, [key]) }));
    await settled(before, 1);
    // …and the same chunk uploaded again by a retrying producer (a new notification).
    before = runner.stats.deleted;
    await putChunk(jobId, 0, lines);
    await settled(before, 1);

    expect(await countJobDocuments(stack, DATA_STREAM, jobId)).toBe(500);
    const duplicates = summaries().reduce((n, s) => n + s.duplicates, 0);
    expect(duplicates).toBeGreaterThanOrEqual(1000);
  });

  it('sends a corrupt object and a non-gzip object to the dead-letter path with their reasons and indexes the good chunk beside them', async () => {
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    const whole = gzipSync(Array.from({ length: 5000 }, (_, i) => `line ${i} ${'payload '.repeat(20)}`).join('\n'));
    const before = runner.stats.deleted;
    // One message naming three objects: S3 may batch records, and the batch must survive its bad ones.
    const good = chunkKey({ jobId, source: 'main', seq: 0 });
    const truncated = chunkKey({ jobId, source: 'main', seq: 1 });
    const notGzip = chunkKey({ jobId, source: 'main', seq: 2 });
    await putChunk(jobId, 0, ['good line 1', 'good line 2']);
    await putChunk(jobId, 1, [], {}, whole.subarray(0, Math.floor(whole.length / 2)));
    await putChunk(jobId, 2, [], {}, Buffer.from('plain text, not gzip\n'));
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.chunkQueueUrl, MessageBody: s3EventBody(stack.bucket, [good, truncated, notGzip]) }));
    await settled(before, 4);

    const reports = await eventually(
      async () => {
        const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: 'dead-letter/indexer/' }));
        const all = await Promise.all(
          (listed.Contents ?? []).map(async (o) =>
            JSON.parse(await (await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: o.Key! }))).Body!.transformToString()),
          ),
        );
        return all.filter((r) => r.key === truncated || r.key === notGzip);
      },
      (r) => r.length === 2,
      'two dead-letter reports',
    );
    expect(reports.find((r) => r.key === truncated)).toMatchObject({ code: 'CORRUPT_GZIP', bucket: stack.bucket });
    expect(reports.find((r) => r.key === notGzip)).toMatchObject({ code: 'NOT_GZIP', reason: expect.stringContaining('not gzip') });
    const docs = await jobDocuments(stack, DATA_STREAM, jobId);
    const goodLines = docs.filter((d) => d._source.joblogs.chunk_seq === 0).map((d) => d._source.message);
    expect(goodLines).toEqual(['good line 1', 'good line 2']);
    // The readable head of the truncated chunk is indexed, not thrown away.
    expect(docs.filter((d) => d._source.joblogs.chunk_seq === 1).length).toBeGreaterThan(0);
    expect(indexer.logs.some((l) => l.code === 'CORRUPT_GZIP' && l.key === truncated)).toBe(true);
  });

  it('hands records back while the cluster is down and indexes them exactly once after it returns', async () => {
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    const lines = (seq: number) => Array.from({ length: 300 }, (_, i) => `chunk ${seq} line ${i}`);
    const failedBefore = runner.stats.failed;
    await putChunk(jobId, 0, lines(0));
    await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (c) => c === 300,
      'the first chunk to be indexed',
    );

    await stopSearchCluster(stack);
    try {
      for (const seq of [1, 2, 3]) await putChunk(jobId, seq, lines(seq));
      await eventually(
        async () => runner.stats.failed,
        (f) => f > failedBefore,
        'the runner to see failed records',
        60_000,
      );
    } finally {
      await startSearchClusterAgain(stack);
    }

    const count = await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (c) => c >= 1200,
      'all chunks after the outage',
      120_000,
    );
    expect(count).toBe(1200);
    const docs = await jobDocuments(stack, DATA_STREAM, jobId);
    expect(docs.map((d) => d._source.message)).toEqual([0, 1, 2, 3].flatMap(lines));
    // Stopping and restarting the JVM cluster takes a minute on a busy machine, on top of the waits above.
  }, 300_000);
});
