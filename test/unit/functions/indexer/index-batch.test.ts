import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { IndexerDeps } from '../../../../functions/indexer/deps.js';
import { indexBatch } from '../../../../functions/indexer/index-batch.js';
import type { BulkSender } from '../../../../shared/adapters/search/bulk-sender.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { loadIndexerConfig } from '../../../../shared/config/indexer-config.js';
import { MemoryBucket } from '../../../../testkit/fakes/memory-bucket.js';
import { s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';

const BUCKET = 'joblogs-test-logs';
const silent = createLogger('test', { write: () => true } as unknown as NodeJS.WritableStream);

/** A `_bulk` endpoint that answers 201 to every action after a few milliseconds, and counts how many requests it holds at once. */
function countingElasticsearch() {
  const seen = { inFlight: 0, most: 0, requests: 0, documents: 0, chunkRecords: 0 };
  const sendBulk: BulkSender = async (body) => {
    const text = body.toString('utf8');
    const actions = text.trimEnd().split('\n').length / 2;
    const chunkRecord = text.startsWith('{"create":{"_index":"joblogs-chunks-');
    seen.most = Math.max(seen.most, ++seen.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    seen.inFlight--;
    if (chunkRecord) seen.chunkRecords += actions;
    else {
      seen.requests++;
      seen.documents += actions;
    }
    return Array.from({ length: actions }, () => ({ status: 201 }));
  };
  return { sendBulk, seen };
}

/** `records` messages, each naming one chunk of `lines` lines, in an in-memory bucket. */
function chunksInBucket(records: number, lines: number) {
  const bucket = new MemoryBucket();
  const keys = Array.from({ length: records }, (_, r) => `chunks/v1/job-${r}/main/0000000000.log.gz`);
  for (const key of keys) bucket.put(key, gzipSync(Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('')));
  return { bucket, event: sqsEvent(...keys.map((key, r) => sqsRecord(s3EventBody(BUCKET, [key]), `m${r}`))) };
}

async function indexWith(env: Record<string, string>, records: number) {
  const config = loadIndexerConfig({ STAGE: 'test', LOG_BUCKET: BUCKET, ES_NODE: 'http://127.0.0.1:9200', BULK_MAX_ACTIONS: '10', ...env });
  const { bucket, event } = chunksInBucket(records, 100);
  const es = countingElasticsearch();
  const deps: IndexerDeps = {
    config,
    chunks: bucket.chunkStore(),
    deadLetters: bucket.deadLetters(config.deadLetterPrefix),
    sendBulk: es.sendBulk,
    logger: silent,
    now: Date.now,
    sleep: async () => undefined,
    random: () => 0,
  };
  const { response, stats } = await indexBatch(event, deps, Date.now() + 60_000);
  return { response, stats, seen: es.seen };
}

describe('indexBatch concurrency', () => {
  it('keeps BULK_CONCURRENCY _bulk requests in flight per invocation in all, however many records it works on at once', async () => {
    const { response, stats, seen } = await indexWith({ BULK_CONCURRENCY: '3', RECORD_CONCURRENCY: '10' }, 10);
    expect(response.batchItemFailures).toEqual([]);
    expect(stats).toMatchObject({ records: 10, objects: 10, lines: 1000, indexed: 1000 });
    expect(seen.requests).toBe(100);
    expect(seen.chunkRecords).toBe(10);
    expect(seen.most).toBe(3);
  });

  it('holds the bound at the largest allowed setting (16), where records × per-chunk requests would be 160', async () => {
    const { seen } = await indexWith({ BULK_CONCURRENCY: '16', RECORD_CONCURRENCY: '10' }, 10);
    expect(seen.documents).toBe(1000);
    expect(seen.most).toBe(16);
  });

  it('lets one record use every request slot when it is the only one', async () => {
    const { seen } = await indexWith({ BULK_CONCURRENCY: '4', RECORD_CONCURRENCY: '1' }, 1);
    expect(seen.most).toBe(4);
  });
});

describe('indexBatch and a gzip bomb', () => {
  it('indexes the good chunk beside it, indexes the bomb only up to the bound, and dead-letters the rest with its reason', async () => {
    const config = loadIndexerConfig({ STAGE: 'test', LOG_BUCKET: BUCKET, ES_NODE: 'http://127.0.0.1:9200', CHUNK_MAX_BYTES: String(256 * 1024) });
    const bucket = new MemoryBucket();
    bucket.put('chunks/v1/bomb/main/0000000000.log.gz', gzipSync(Buffer.alloc(16 * 1024 * 1024, 'ab\n')));
    bucket.put('chunks/v1/good/main/0000000000.log.gz', gzipSync('one\ntwo\n'));
    const es = countingElasticsearch();
    const deps: IndexerDeps = {
      config,
      chunks: bucket.chunkStore(),
      deadLetters: bucket.deadLetters(config.deadLetterPrefix),
      sendBulk: es.sendBulk,
      logger: silent,
      now: Date.now,
      sleep: async () => undefined,
      random: () => 0,
    };
    const event = sqsEvent(sqsRecord(s3EventBody(BUCKET, ['chunks/v1/bomb/main/0000000000.log.gz', 'chunks/v1/good/main/0000000000.log.gz']), 'm1'));
    const { response, stats } = await indexBatch(event, deps, Date.now() + 60_000);
    expect(response.batchItemFailures).toEqual([]);
    // 256 KiB of "ab\n" is 87 381 whole lines; the cut line is not indexed.
    expect(seenDocuments(es)).toBe(87_381 + 2);
    expect(stats).toMatchObject({ objects: 2, deadLettered: 1 });
    expect(bucket.reports).toEqual([expect.objectContaining({ code: 'CHUNK_TOO_LARGE', key: 'chunks/v1/bomb/main/0000000000.log.gz' })]);
  });
});

const seenDocuments = (es: ReturnType<typeof countingElasticsearch>) => es.seen.documents;
