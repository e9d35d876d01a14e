/**
 * Elasticsearch and delivery faults on the real stack (issue 6): a fault-injecting proxy between
 * the indexer and Elasticsearch, duplicate SQS deliveries and a killed handler process. Every
 * scenario ends with the same invariant (testkit/invariant.ts): every printed line is in
 * Elasticsearch exactly once, by `_id` and by content.
 */
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INDEXER_PROCESS_SCRIPT, quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { chunkKey } from '../../shared/core/contract/index.js';
import { s3EventBody } from '../fixtures/events.js';
import {
  checkExactlyOnce,
  childEnv,
  countJobDocuments,
  describeVerdict,
  downloadLinesView,
  eventually,
  REPO_ROOT,
  startHttpFaultProxy,
  writeSuiteResults,
  type HttpFaultProxy,
  type LinesView,
  type PrintedChunk,
  type SuiteRow,
} from '../../testkit/index.js';
import { putJobMarker, registerTestJob } from '../../testkit/jobs.js';
import { loadStack, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
/** Small bulk requests, so a few chunks make dozens of requests for the faults to hit. */
const INDEXER_ENV = { BULK_MAX_ACTIONS: '100', RETRY_BASE_MS: '50', RETRY_MAX_MS: '500', ES_REQUEST_TIMEOUT_MS: '3000' };

let stack: LocalStack;
let proxy: HttpFaultProxy;
let indexer: LocalPipeline | undefined;
const rows: SuiteRow[] = [];

let assembler: LocalPipeline;

beforeAll(async () => {
  stack = loadStack();
  proxy = await startHttpFaultProxy(stack.info.elasticsearch.url);
  // The third view of the invariant: every job's download file, assembled from the same chunks.
  assembler = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
});

/**
 * Marks the job's only source final (as the shipper does after its last chunk) and returns the
 * download file as a view of the printed lines: `<time> <stream> <text>` with the prefix removed.
 */
async function downloadView(jobId: string, chunks: readonly PrintedChunk[]): Promise<LinesView> {
  await registerTestJob(stack.s3, stack.bucket, jobId);
  await putJobMarker(stack.s3, stack.bucket, { jobId, status: 'final', lastSeq: chunks.length - 1, lineCount: chunks.reduce((n, c) => n + c.lines.length, 0) });
  return downloadLinesView(stack, jobId);
}

afterEach(async () => {
  proxy.clear();
  await indexer?.stop();
  indexer = undefined;
});

afterAll(async () => {
  await assembler?.stop();
  await proxy?.close();
  await stack?.close();
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'faults',
      title: 'Fault scenarios (indexer, local stack, fault proxy in front of Elasticsearch)',
      notes: [
        "Each scenario ends with testkit/invariant.ts: every printed line in Elasticsearch exactly once, by _id and by content, and the job's download file (assembled from the same chunks) holding exactly the printed lines in order.",
      ],
      rows,
    });
  }
});

const isBulk = (p: string) => p.split('?')[0]!.endsWith('/_bulk');

function printedChunks(jobId: string, chunks: number, lines: number): PrintedChunk[] {
  return Array.from({ length: chunks }, (_, seq) => ({
    key: chunkKey({ jobId, source: 'main', seq }),
    lines: Array.from({ length: lines }, (_, i) => (i % 97 === 13 ? '' : `job ${jobId} chunk ${seq} line ${i} loss=${(1 / (i + 1)).toFixed(5)}`)),
  }));
}

async function upload(chunks: readonly PrintedChunk[]): Promise<void> {
  for (const c of chunks) {
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: c.key, Body: gzipSync(`${c.lines.join('\n')}\n`), ContentType: 'application/gzip' }));
  }
}

function batchTotals(logs: Array<Record<string, any>>) {
  const done = logs.filter((l) => l['message'] === 'indexer batch done');
  const sum = (k: string) => done.reduce((n, l) => n + (l[k] ?? 0), 0);
  return { indexed: sum('indexed'), duplicates: sum('duplicates'), retried: sum('retried'), failed: sum('failed') };
}

/** Uploads, waits for every line, checks the invariant, records the row. */
async function runScenario(name: string, input: string, jobId: string, chunks: PrintedChunk[], during?: () => Promise<void>): Promise<void> {
  const expected = chunks.reduce((n, c) => n + c.lines.filter((l) => l.trim() !== '').length, 0);
  // The proxy lives for the whole file: count this scenario's faults only.
  const before = { faulted: proxy.faulted, failedItems: proxy.failedItems };
  await upload(chunks);
  await during?.();
  await eventually(
    () => countJobDocuments(stack, DATA_STREAM, jobId),
    (n) => n >= expected,
    `${expected} documents of ${name}`,
    100_000,
  );
  await eventually(
    async () => indexer!.indexer!.stats.deleted,
    (d) => d >= chunks.length,
    `${chunks.length} messages acknowledged`,
    60_000,
  );
  const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [await downloadView(jobId, chunks)] });
  const t = batchTotals(indexer!.logs);
  rows.push({
    name,
    input,
    expected: 'every printed line exactly once, in Elasticsearch and in the download file',
    observed: `${describeVerdict(verdict)}; ${proxy.faulted - before.faulted} request(s) faulted, ${proxy.failedItems - before.failedItems} item(s) failed; indexer: ${t.duplicates} duplicate(s), ${t.retried} retried, ${t.failed} record(s) handed back`,
    pass: verdict.problems.length === 0,
  });
  expect(verdict.problems).toEqual([]);
}

describe('Elasticsearch faults between the indexer and the cluster', () => {
  it('indexes every line exactly once while Elasticsearch answers 429 to every other bulk request', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url } }), purge: true });
    proxy.plan(({ path: p, n }) => (isBulk(p) && n % 2 === 0 && n < 60 ? { kind: 'status', status: 429 } : undefined));
    const jobId = `fault-429-${randomUUID().slice(0, 8)}`;
    await runScenario('es-429-under-pressure', 'HTTP 429 on every other _bulk (first 60 requests)', jobId, printedChunks(jobId, 4, 500));
  });

  it('retries exactly the items a partially failing bulk rejected with 429 and 503', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url } }), purge: true });
    proxy.plan(({ path: p, n }) => (isBulk(p) && n < 40 ? { kind: 'fail-items', every: 3, status: n % 2 === 0 ? 429 : 503 } : undefined));
    const jobId = `fault-items-${randomUUID().slice(0, 8)}`;
    await runScenario(
      'bulk-partially-failing',
      'every 3rd item of a _bulk answered 429/503 and not indexed (first 40 requests)',
      jobId,
      printedChunks(jobId, 4, 500),
    );
    expect(proxy.failedItems).toBeGreaterThan(0);
  });

  it('counts lines indexed behind a cut connection as duplicates on retry, never twice', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url } }), purge: true });
    proxy.plan(({ path: p, n }) => (isBulk(p) && n % 3 === 0 && n < 30 ? { kind: 'cut' } : undefined));
    const jobId = `fault-cut-${randomUUID().slice(0, 8)}`;
    await runScenario('bulk-response-cut', 'connection reset after Elasticsearch indexed the _bulk (every 3rd, first 30)', jobId, printedChunks(jobId, 3, 500));
    expect(batchTotals(indexer.logs).duplicates).toBeGreaterThan(0);
  });

  it('waits out a slow node whose answers come after the request timeout', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url } }), purge: true });
    proxy.plan(({ path: p, n }) => (isBulk(p) && n < 4 ? { kind: 'delay', ms: 3_500 } : undefined));
    const jobId = `fault-slow-${randomUUID().slice(0, 8)}`;
    await runScenario(
      'bulk-slower-than-timeout',
      '_bulk answered after 3.5 s, above the 3 s request timeout (first 4 requests)',
      jobId,
      printedChunks(jobId, 2, 300),
    );
  });

  it('hands records back while Elasticsearch refuses connections and indexes them once it accepts again', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url }, functionTimeoutS: 4 }), purge: true });
    proxy.plan(() => ({ kind: 'refuse' }));
    const jobId = `fault-refuse-${randomUUID().slice(0, 8)}`;
    await runScenario(
      'es-refusing-connections',
      'every connection reset for ~6 s (function timeout 4 s), then healthy',
      jobId,
      printedChunks(jobId, 3, 300),
      async () => {
        await eventually(
          async () => indexer!.indexer!.stats.failed,
          (f) => f > 0,
          'records handed back',
          30_000,
        );
        proxy.clear();
      },
    );
    expect(indexer.indexer!.stats.failed).toBeGreaterThan(0);
  });
});

describe('the Lambda deadline', () => {
  // A chunk that needs more than one invocation: each one stops at the deadline with a checkpoint of
  // the lines confirmed so far, and the redelivery goes on from there instead of from line 0.
  it('hands a chunk back when the deadline comes mid-object and finishes it on redelivery, once', async () => {
    // 3 s per invocation minus 1 s headroom, against ~6 s of slowed bulk requests for the chunk.
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { ...INDEXER_ENV, ES_NODE: proxy.url }, functionTimeoutS: 3 }), purge: true });
    proxy.plan(({ path: p }) => (isBulk(p) ? { kind: 'delay', ms: 400 } : undefined));
    const jobId = `fault-deadline-${randomUUID().slice(0, 8)}`;
    const chunks = printedChunks(jobId, 1, 3000);
    await upload(chunks);
    const printed = chunks[0]!.lines.filter((l) => l.trim() !== '').length;
    await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (n) => n >= printed,
      'the whole chunk',
      25_000,
    ).catch(() => undefined);
    // The last lines can be searchable before the invocation that sent them records the chunk: on a
    // busy machine that one too is handed back, and its redelivery (from the checkpoint) finishes it.
    const resumedRuns = () => indexer!.logs.filter((l) => l['message'] === 'chunk indexed' && l['resumedAt'] > 0).length;
    await eventually(
      async () => resumedRuns(),
      (n) => n >= 1,
      'the chunk finished by a resumed invocation',
      30_000,
    ).catch(() => undefined);
    const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [await downloadView(jobId, chunks)] });
    const handedBack = indexer.logs.filter((l) => l['error']?.code === 'DEADLINE').length;
    const resumed = resumedRuns();
    rows.push({
      name: 'deadline-mid-object',
      input: 'function timeout 3 s, every _bulk slowed by 400 ms, one 3000-line chunk (25 s allowed)',
      expected: 'every printed line exactly once, continuing across invocations',
      observed: `${describeVerdict(verdict)}; ${handedBack} hand-back(s) at the deadline, finished by a redelivery resuming from its checkpoint (${resumed})`,
      pass: verdict.problems.length === 0,
    });
    expect(verdict.problems).toEqual([]);
    expect(handedBack).toBeGreaterThan(0);
    expect(resumed).toBe(1);
  });
});

describe('delivery faults', () => {
  it('indexes a chunk once however often its notification is delivered', async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: INDEXER_ENV }), purge: true });
    const jobId = `fault-dup-${randomUUID().slice(0, 8)}`;
    const chunks = printedChunks(jobId, 2, 400);
    await runScenario('duplicate-sqs-delivery', 'each notification delivered 4 times: twice in one batch, then twice more', jobId, chunks, async () => {
      const body = s3EventBody(
        stack.bucket,
        chunks.map((c) => c.key),
      );
      for (let round = 0; round < 2; round++) {
        await stack.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: stack.chunkQueueUrl, Entries: [0, 1].map((i) => ({ Id: String(i), MessageBody: body })) }),
        );
      }
    });
    await eventually(
      async () => batchTotals(indexer!.logs).duplicates,
      (d) => d >= 3 * 794,
      'the redeliveries to be counted as duplicates',
    );
  });

  it('loses and duplicates nothing when the handler process is killed mid-batch and restarted', async () => {
    proxy.plan(({ path: p }) => (isBulk(p) ? { kind: 'delay', ms: 150 } : undefined));
    const jobId = `fault-kill-${randomUUID().slice(0, 8)}`;
    const chunks = printedChunks(jobId, 3, 2000);
    const expected = chunks.reduce((n, c) => n + c.lines.filter((l) => l.trim() !== '').length, 0);
    const child = startChild({ ...INDEXER_ENV, ES_NODE: proxy.url });
    let atKill = 0;
    try {
      await child.ready;
      await upload(chunks);
      await eventually(
        async () => child.received.length,
        (n) => n >= chunks.length,
        'the child to receive every notification',
        30_000,
      );
      atKill = await eventually(
        () => countJobDocuments(stack, DATA_STREAM, jobId),
        (n) => n > 0,
        'the child to index some lines',
        30_000,
      );
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    expect(atKill).toBeLessThan(expected);
    proxy.clear();
    // The killed batch's messages stay in flight until their visibility timeout (725 s): end it now.
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ env: INDEXER_ENV }), purge: true });
    await stack.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: stack.chunkQueueUrl,
        Entries: child.received.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: 0 })),
      }),
    );
    await eventually(
      () => countJobDocuments(stack, DATA_STREAM, jobId),
      (n) => n >= expected,
      'every line after the restart',
      100_000,
    );
    const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [await downloadView(jobId, chunks)] });
    rows.push({
      name: 'handler-killed-mid-batch',
      input: 'indexer process SIGKILLed with a batch in flight, messages visible again, new process',
      expected: 'every printed line exactly once, in Elasticsearch and in the download file',
      observed: `${describeVerdict(verdict)}; ${atKill} indexed before the kill; after restart ${batchTotals(indexer.logs).duplicates} duplicate(s)`,
      pass: verdict.problems.length === 0,
    });
    expect(verdict.problems).toEqual([]);
  });
});

function startChild(env: Record<string, string>): { process: ChildProcess; ready: Promise<void>; exited: Promise<unknown>; received: string[] } {
  // node itself with tsx's loader, not the tsx wrapper: SIGKILL must hit the process doing the work.
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', INDEXER_PROCESS_SCRIPT], {
    cwd: REPO_ROOT,
    env: childEnv({ JOBLOGS_CHILD_ENV: JSON.stringify(env) }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const received: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`indexer child exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { ready?: boolean; received?: string[] };
      if (event.ready) resolve();
      if (event.received) received.push(...event.received);
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { process: child, ready, exited, received };
}
