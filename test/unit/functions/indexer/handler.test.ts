import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BulkSender } from '../../../../shared/adapters/search/bulk-sender.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { loadIndexerConfig } from '../../../../shared/config/indexer-config.js';
import type { BulkItemResult } from '../../../../shared/core/ingest/index.js';
import { createIndexerHandler } from '../../../../functions/indexer/create-handler.js';
import { gzipLines, S3_TEST_EVENT, s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';
import { lambdaContext } from '../../../../testkit/index.js';

const BUCKET = 'joblogs-test-logs';
const KEY_A = 'chunks/v1/job-a/main/0000000000.log.gz';
const KEY_B = 'chunks/v1/job-b/main/0000000007.log.gz';

const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);

/** A fake Elasticsearch `_bulk` endpoint: parses every body it gets and answers per a script. */
function fakeElasticsearch(answer: (action: { _index: string; _id: string }, doc: any, call: number) => number = () => 201) {
  const calls: Array<Array<{ action: { _index: string; _id: string }; doc: any }>> = [];
  const records: Array<{ action: { _index: string; _id: string }; doc: any }> = [];
  const sendBulk: BulkSender = async (body) => {
    const lines = body.toString('utf8').trimEnd().split('\n');
    const items: Array<{ action: { _index: string; _id: string }; doc: any }> = [];
    for (let i = 0; i < lines.length; i += 2) {
      items.push({ action: JSON.parse(lines[i]!).create, doc: JSON.parse(lines[i + 1]!) });
    }
    // A chunk's record (joblogs-chunks-*) is bookkeeping, not a line: kept apart from the lines' requests.
    if (items[0]?.action._index.startsWith('joblogs-chunks-')) {
      records.push(...items);
      return items.map(() => ({ status: 201 }));
    }
    calls.push(items);
    return items.map(({ action, doc }): BulkItemResult => {
      const status = answer(action, doc, calls.length);
      if (status < 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { name: 'ConnectionError' });
      return status === 400
        ? { status, error: { type: 'document_parsing_exception', reason: 'failed to parse field [json]' } }
        : status >= 300
          ? { status, error: { type: 'es_rejected_execution_exception', reason: 'rejected' } }
          : { status };
    });
  };
  return { sendBulk, calls, records, documents: () => calls.flat() };
}

function captureLogs() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('joblogs-indexer-test', stream), lines };
}

function putObject(key: string, body: Buffer, metadata: Record<string, string> = {}) {
  s3.on(GetObjectCommand, { Bucket: BUCKET, Key: key }).callsFake(async () => ({
    Body: Readable.from([body]) as never,
    Metadata: metadata,
    ContentLength: body.length,
  }));
}

function handlerWith(es: ReturnType<typeof fakeElasticsearch>, extraEnv: Record<string, string> = {}) {
  const config = loadIndexerConfig({
    STAGE: 'test',
    LOG_BUCKET: BUCKET,
    ES_NODE: 'http://127.0.0.1:9200',
    ES_CREDENTIALS_PARAM: '/joblogs/test/es-credentials',
    RETRY_BASE_MS: '1',
    RETRY_MAX_MS: '5',
    DEADLINE_HEADROOM_MS: '100',
    ...extraEnv,
  });
  const logs = captureLogs();
  const handler = createIndexerHandler(config, { sendBulk: es.sendBulk, logger: logs.logger, sleep: async () => {} });
  return { handler, logs };
}

function deadLetters(): Array<{ key: string; report: any }> {
  return s3.commandCalls(PutObjectCommand).map((c) => ({ key: c.args[0].input.Key!, report: JSON.parse(String(c.args[0].input.Body)) }));
}

beforeEach(() => {
  s3.reset();
  ssm.reset();
  ssm.on(GetParametersCommand).resolves({
    Parameters: [{ Name: '/joblogs/test/es-credentials', Type: 'SecureString', Value: '{"username":"joblogs","password":"s3cret"}' }],
    InvalidParameters: [],
  });
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
});

afterEach(() => {
  s3.reset();
  ssm.reset();
});

describe('indexer handler (middy chain, mocked AWS)', () => {
  it('indexes every line of every chunk into the stage data stream and reports no failures', async () => {
    putObject(KEY_A, gzipLines(['first line', '{"level":30,"time":1795600000123,"msg":"pino line","loss":0.5}', 'third']), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    putObject(KEY_B, gzipLines(['only line']));
    const es = fakeElasticsearch();
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1'), sqsRecord(s3EventBody(BUCKET, [KEY_B]), 'm2')), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    const docs = es.documents();
    expect(docs).toHaveLength(4);
    expect(new Set(docs.map((d) => d.action._index))).toEqual(new Set(['logs-mlplatform.job-test']));
    const pino = docs.find((d) => d.doc.message === 'pino line')!.doc;
    expect(pino.log.level).toBe('info');
    expect(pino['@timestamp']).toBe('2026-11-25T09:46:40.123Z');
    expect(pino.trace.id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(pino.labels.job_id).toBe('job-a');
    expect(pino.json).toEqual({ loss: 0.5 });
    expect(docs.find((d) => d.doc.message === 'only line')!.doc.event.sequence).toBe(7 * 10_000_000);
    expect(ssm.commandCalls(GetParametersCommand)[0]!.args[0].input).toMatchObject({
      Names: ['/joblogs/test/es-credentials'],
      WithDecryption: true,
    });
    const summary = logs.lines.find((l) => l.message === 'indexer batch done');
    expect(summary).toMatchObject({ records: 2, objects: 2, lines: 4, indexed: 4, duplicates: 0, retried: 0, failed: 0 });
  });

  it("logs one line per chunk in that chunk's trace, so the indexer's own lines are found with the job's", async () => {
    const traceA = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traceB = '0af7651916cd43dd8448eb211c80319c';
    putObject(KEY_A, gzipLines(['a1', 'a2']), { traceparent: `00-${traceA}-00f067aa0ba902b7-01` });
    putObject(KEY_B, gzipLines(['b1']), { traceparent: `00-${traceB}-b7ad6b7169203331-01` });
    const { handler, logs } = handlerWith(fakeElasticsearch());

    // One message naming both chunks: they are handled by the same invocation, one after the other.
    await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A, KEY_B]), 'm1')), lambdaContext());

    const perChunk = logs.lines.filter((l) => l.message === 'chunk indexed');
    expect(perChunk.map((l) => [l.key, l['trace.id'], l.lines])).toEqual([
      [KEY_A, traceA, 2],
      [KEY_B, traceB, 1],
    ]);
    expect(perChunk[0]['span.id']).not.toBe('00f067aa0ba902b7');
    const summary = logs.lines.find((l) => l.message === 'indexer batch done');
    expect(summary).toMatchObject({ objects: 2, lines: 3, indexed: 3 });
    expect([traceA, traceB]).not.toContain(summary['trace.id']);
  });

  it('treats documents that are already there (409) as success and counts them as duplicates', async () => {
    putObject(KEY_A, gzipLines(['a', 'b']));
    const es = fakeElasticsearch(() => 409);
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1', 2)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(logs.lines.at(-1)).toMatchObject({ indexed: 0, duplicates: 2 });
  });

  it('acknowledges an empty final chunk (a gzip of nothing) without indexing or dead-lettering', async () => {
    putObject(KEY_A, gzipSync(Buffer.alloc(0)), { format: 'framed-v1', final: 'true', 'exit-code': '0', 'line-count': '12' });
    const es = fakeElasticsearch();
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'final')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(es.calls).toHaveLength(0);
    expect(deadLetters()).toEqual([]);
    expect(logs.lines.at(-1)).toMatchObject({ objects: 1, lines: 0, failed: 0 });
  });

  it('acknowledges the S3 test event without indexing anything', async () => {
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(S3_TEST_EVENT, 'test')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(es.calls).toHaveLength(0);
  });

  it('sends a corrupt object to the dead-letter path with its reason while the good record of the batch is indexed', async () => {
    putObject(KEY_A, Buffer.from('this is not gzip at all'));
    putObject(KEY_B, gzipLines(['good line']));
    const es = fakeElasticsearch();
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'bad'), sqsRecord(s3EventBody(BUCKET, [KEY_B]), 'good')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(es.documents().map((d) => d.doc.message)).toEqual(['good line']);
    const [letter] = deadLetters();
    // Filed under the chunk's job, so a job's reports are listed by prefix (joblogs admin status, purge).
    expect(letter!.key).toMatch(/^dead-letter\/indexer\/job\/job-a\/\d{4}\/\d{2}\/\d{2}\/not_gzip\/[0-9a-f]{32}\.json$/);
    expect(letter!.report).toMatchObject({ code: 'NOT_GZIP', bucket: BUCKET, key: KEY_A, messageId: 'bad' });
    expect(letter!.report.reason).toContain('not gzip');
    expect(logs.lines.some((l) => l.code === 'NOT_GZIP' && l.key === KEY_A)).toBe(true);
  });

  it('indexes the lines before a truncated gzip tail and dead-letters the rest with the reason', async () => {
    const whole = gzipLines(Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(200)}`));
    putObject(KEY_A, whole.subarray(0, Math.floor(whole.length * 0.8)));
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(es.documents().length).toBeGreaterThan(0);
    expect(es.documents().length).toBeLessThan(2000);
    expect(deadLetters()[0]!.report.code).toBe('CORRUPT_GZIP');
  });

  it('dead-letters an event whose object was already deleted', async () => {
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'gone')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters()[0]!.report).toMatchObject({ code: 'OBJECT_GONE', key: KEY_A });
  });

  it('dead-letters a malformed SQS body and a key outside the chunk layout, keyed by message', async () => {
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(
      sqsEvent(sqsRecord('{not json', 'junk'), sqsRecord(s3EventBody(BUCKET, ['uploads/whatever.txt']), 'stray')),
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(
      deadLetters()
        .map((d) => d.report.code)
        .sort(),
    ).toEqual(['BAD_CHUNK_KEY', 'MALFORMED_MESSAGE']);
    expect(deadLetters().find((d) => d.report.code === 'MALFORMED_MESSAGE')!.report.messageId).toBe('junk');
  });

  it('refuses events for another bucket', async () => {
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    await handler(sqsEvent(sqsRecord(s3EventBody('someone-elses-bucket', [KEY_A]), 'foreign')), lambdaContext());

    expect(deadLetters()[0]!.report.code).toBe('UNEXPECTED_BUCKET');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('retries only the items Elasticsearch pushed back with 429 and indexes them', async () => {
    putObject(KEY_A, gzipLines(['a', 'b', 'c', 'd']));
    const es = fakeElasticsearch((_action, doc, call) => (call === 1 && (doc.message === 'b' || doc.message === 'd') ? 429 : 201));
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(es.calls.map((c) => c.map((i) => i.doc.message))).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'd'],
    ]);
    expect(logs.lines.at(-1)).toMatchObject({ indexed: 4, retried: 2, throttled: 2, failed: 0 });
  });

  it('publishes its counts as CloudWatch metrics (EMF) in its one batch line: lines, bytes, retries, 429s, lag', async () => {
    putObject(KEY_A, gzipLines(['a', 'b', 'c', 'd']), { 'chunk-start': new Date(Date.now() - 5_000).toISOString() });
    const es = fakeElasticsearch((_action, doc, call) => (call === 1 && doc.message === 'b' ? 429 : 201));
    const { handler, logs } = handlerWith(es);

    await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext());

    const batchLines = logs.lines.filter((l) => l.message === 'indexer batch done');
    expect(batchLines).toHaveLength(1);
    const line = batchLines[0]!;
    expect(line).toMatchObject({
      Stage: 'test',
      Function: 'indexer',
      LinesIndexed: 4,
      BytesIndexed: 8,
      ChunksIndexed: 1,
      Duplicates: 0,
      RetriedItems: 1,
      EsRejections: 1,
      DeadLetterReports: 0,
    });
    expect(line.ChunkLag).toHaveLength(1);
    expect(line.ChunkLag[0]).toBeGreaterThanOrEqual(5_000);
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'joblogs',
        Dimensions: [['Stage', 'Function']],
        Metrics: expect.arrayContaining([
          { Name: 'LinesIndexed', Unit: 'Count' },
          { Name: 'ChunkLag', Unit: 'Milliseconds' },
          { Name: 'BytesIndexed', Unit: 'Bytes' },
        ]),
      },
    ]);
  });

  it('dead-letters documents the mapping rejects, with the documents, and indexes the rest of the chunk', async () => {
    putObject(KEY_A, gzipLines(['fine', '{"message":"weird","x":1}', 'also fine']));
    const es = fakeElasticsearch((_a, doc) => (doc.message === 'weird' ? 400 : 201));
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    const report = deadLetters()[0]!.report;
    expect(report).toMatchObject({ code: 'DOCUMENTS_REJECTED', rejectedCount: 1 });
    expect(report.rejected[0]).toMatchObject({ status: 400, type: 'document_parsing_exception' });
    expect(report.rejected[0].document.message).toBe('weird');
  });

  it('hands a record back to SQS when Elasticsearch stays down until the deadline, and keeps the others', async () => {
    putObject(KEY_A, gzipLines(['a']));
    const es = fakeElasticsearch(() => -1);
    const { handler, logs } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1'), sqsRecord(S3_TEST_EVENT, 'test')), lambdaContext(400));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(es.calls.length).toBeGreaterThan(1);
    expect(deadLetters()).toEqual([]);
    expect(logs.lines.at(-1)).toMatchObject({ failed: 1 });
  });

  it('keeps how far a chunk got when it stops mid-way, and a redelivery goes on from there', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const body = gzipLines(lines);
    const checkpoints = new Map<string, string>();
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string }) => void checkpoints.set(input.Key, String(input.Body)));
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key === KEY_A) return { Body: Readable.from([body]) as never, Metadata: {}, ContentLength: body.length, ETag: '"v1"' };
      const text = checkpoints.get(input.Key);
      if (!text) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: { transformToString: async () => text } as never };
    });
    // Batches of 10 lines; Elasticsearch goes away after the second batch.
    const down = fakeElasticsearch((_a, _d, call) => (call <= 2 ? 201 : -1));
    const first = handlerWith(down, { BULK_MAX_ACTIONS: '10', BULK_CONCURRENCY: '1' });
    const failed = await first.handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext(400));
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect([...checkpoints.values()].map((t) => JSON.parse(t))).toEqual([expect.objectContaining({ key: KEY_A, etag: '"v1"', position: 20 })]);
    expect(first.logs.lines.find((l) => l.message === 'chunk not fully indexed')).toMatchObject({ checkpoint: 20 });

    const up = fakeElasticsearch();
    const second = handlerWith(up, { BULK_MAX_ACTIONS: '10' });
    const done = await second.handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1', 2)), lambdaContext());
    expect(done).toEqual({ batchItemFailures: [] });
    expect(up.documents().map((d) => d.doc.message)).toEqual(lines.slice(20));
    expect(second.logs.lines.find((l) => l.message === 'chunk indexed')).toMatchObject({ resumedAt: 20, lines: 30 });
  });

  it('starts a redelivered chunk from line 0 when its checkpoint is of another version of the object', async () => {
    const lines = ['a', 'b', 'c'];
    const body = gzipLines(lines);
    let etag = '"v2"';
    const checkpointReads: string[] = [];
    const checkpoint = JSON.stringify({ version: 1, bucket: BUCKET, key: KEY_A, etag: '"v1"', position: 2, at: '2026-11-25T10:00:00.000Z' });
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      if (input.Key === KEY_A) return { Body: Readable.from([body]) as never, Metadata: {}, ContentLength: body.length, ETag: etag };
      checkpointReads.push(input.Key);
      return { Body: { transformToString: async () => checkpoint } as never };
    });
    const stale = fakeElasticsearch();
    await handlerWith(stale).handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1', 3)), lambdaContext());
    expect(checkpointReads).toHaveLength(1);
    expect(stale.documents().map((d) => d.doc.message)).toEqual(lines);
    // The same checkpoint for the version it was written for is honoured.
    etag = '"v1"';
    const current = fakeElasticsearch();
    await handlerWith(current).handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1', 3)), lambdaContext());
    expect(current.documents().map((d) => d.doc.message)).toEqual(['c']);
  });

  it('hands a record back when S3 is throttling instead of dead-lettering it', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }));
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'slow')), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'slow' }]);
    expect(deadLetters()).toEqual([]);
  });

  it('hands the record back when the dead-letter report cannot be written, so nothing is lost', async () => {
    putObject(KEY_A, Buffer.from('not gzip'));
    s3.on(PutObjectCommand).rejects(new Error('ServiceUnavailable'));
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [KEY_A]), 'm1')), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('decodes URL-encoded keys from the notification before judging them', async () => {
    const key = 'chunks/v1/job with space/main/0000000001.log.gz';
    const es = fakeElasticsearch();
    const { handler } = handlerWith(es);

    await handler(sqsEvent(sqsRecord(s3EventBody(BUCKET, [key]), 'm1')), lambdaContext());

    expect(JSON.parse(s3EventBody(BUCKET, [key])).Records[0].s3.object.key).toBe('chunks/v1/job+with+space/main/0000000001.log.gz');
    expect(deadLetters()[0]!.report).toMatchObject({ code: 'BAD_CHUNK_KEY', key });
  });
});
