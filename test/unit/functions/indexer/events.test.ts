/**
 * Events and progress bars through the real indexer (indexBatch → indexChunk), with S3 and
 * Elasticsearch in memory: chunks framed exactly as the shipper frames them, cut anywhere,
 * delivered in any order, twice, late — judged by the exactly-once invariant counted through
 * events (testkit/invariant.ts).
 */
import { describe, expect, it } from 'vitest';
import { indexBatch } from '../../../../functions/indexer/index-batch.js';
import type { IndexerDeps } from '../../../../functions/indexer/deps.js';
import type { BulkSender } from '../../../../shared/adapters/search/bulk-sender.js';
import { loadIndexerConfig } from '../../../../shared/config/indexer-config.js';
import type { BulkItemResult } from '../../../../shared/core/ingest/index.js';
import { MemoryBucket } from '../../../../testkit/fakes/memory-bucket.js';
import {
  discardSink,
  exactlyOnceVerdict,
  expectedDocuments,
  markedChunks,
  type CapturedText,
  type JobDocument,
  type MarkedChunk,
} from '../../../../testkit/index.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { CORPUS, corpusLines } from '../../../fixtures/multiline/corpus.js';
import { s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';

const BUCKET = 'joblogs-test-logs';

/** Elasticsearch in memory: `create` semantics (409 for an id that is there). */
function memoryIndex() {
  const docs = new Map<string, Record<string, any>>();
  const sendBulk: BulkSender = async (body) => {
    const lines = body.toString('utf8').trimEnd().split('\n');
    const results: BulkItemResult[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!).create as { _index: string; _id: string };
      if (action._index.startsWith('joblogs-chunks-')) {
        results.push({ status: 201 });
        continue;
      }
      if (docs.has(action._id)) results.push({ status: 409 });
      else {
        docs.set(action._id, JSON.parse(lines[i + 1]!));
        results.push({ status: 201 });
      }
    }
    return results;
  };
  return { sendBulk, docs, documents: (): JobDocument[] => [...docs].map(([_id, _source]) => ({ _id, _source })) };
}

function indexer(bucket: MemoryBucket, es: ReturnType<typeof memoryIndex>, env: Record<string, string> = {}) {
  let clock = Date.UTC(2026, 10, 25, 10, 0, 0);
  const deps: IndexerDeps = {
    config: loadIndexerConfig({ STAGE: 'test', LOG_BUCKET: BUCKET, ES_NODE: 'http://127.0.0.1:9200', NEIGHBOUR_WAIT_MS: '1000', ...env }),
    chunks: bucket.chunkStore(),
    deadLetters: bucket.deadLetters('dead-letter/indexer/'),
    sendBulk: es.sendBulk,
    logger: createLogger('joblogs-indexer-test', discardSink()),
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    random: () => 0.5,
  };
  /** Indexes the chunks' messages one by one, in the order given; returns the keys handed back to SQS. */
  return async (keys: readonly string[], receiveCount = 1): Promise<string[]> => {
    const retried: string[] = [];
    for (const key of keys) {
      const { response } = await indexBatch(sqsEvent(sqsRecord(s3EventBody(BUCKET, [key]), key, receiveCount)), deps, clock + 60_000);
      if (response.batchItemFailures.length > 0) retried.push(key);
    }
    return retried;
  };
}

const upload = (bucket: MemoryBucket, chunks: readonly MarkedChunk[]) => {
  for (const c of chunks) bucket.put(c.key, c.body, c.metadata);
};

/** A corpus file printed on stderr, with a stdout line every few lines (the two streams interleave). */
function interleaved(file: string, every = 4): CapturedText[] {
  const lines: CapturedText[] = [];
  corpusLines(file).forEach((line, i) => {
    lines.push({ stream: 'stderr', ...line });
    if (i % every === 2) lines.push({ stream: 'stdout', text: `step ${i} loss=0.${i}`, terminator: '\n' });
  });
  return lines;
}

function verdict(chunks: readonly MarkedChunk[], es: ReturnType<typeof memoryIndex>) {
  return exactlyOnceVerdict(
    expectedDocuments(
      BUCKET,
      chunks.map((c) => c.printed),
    ),
    es.documents(),
  );
}

const events = (es: ReturnType<typeof memoryIndex>) =>
  es.documents().filter((d) => d._source['joblogs']['span'] > 1 && d._source['joblogs']['redraws'] === undefined);

describe('events across a chunk boundary', () => {
  for (const { file, events: expected } of CORPUS.filter((c) =>
    ['python-chained.log', 'pytorch-distributed.log', 'java-caused-suppressed.log', 'go-panic.log', 'python-training-run.log'].includes(c.file),
  )) {
    it(`indexes every event of ${file} once, with stdout interleaved, wherever the boundary falls and however the halves arrive`, async () => {
      const lines = interleaved(file);
      for (let cut = 0; cut < lines.length - 1; cut++) {
        const chunks = markedChunks({ jobId: `job-${cut}`, lines, cuts: [cut] });
        for (const order of [
          [0, 1],
          [1, 0],
          [1, 0, 0, 1],
        ]) {
          const bucket = new MemoryBucket();
          const es = memoryIndex();
          upload(bucket, chunks);
          expect(await indexer(bucket, es)(order.map((i) => chunks[i]!.key))).toEqual([]);
          const v = verdict(chunks, es);
          expect(v.problems, `cut after line ${cut}, order ${order}`).toEqual([]);
          expect(events(es).length, `cut after line ${cut}, order ${order}`).toBe(expected.length);
        }
      }
    });
  }

  it('waits for a late second half, hands the record back, and indexes the event once when it comes', async () => {
    const lines = interleaved('python-chained.log');
    const chunks = markedChunks({ jobId: 'job-late', lines, cuts: [8] });
    expect(chunks[0]!.metadata['open-events']).toBe('stderr');
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    const index = indexer(bucket, es);
    upload(bucket, [chunks[0]!]);
    expect(await index([chunks[0]!.key])).toEqual([chunks[0]!.key]);
    expect(events(es)).toHaveLength(0);
    upload(bucket, [chunks[1]!]);
    expect(await index([chunks[1]!.key, chunks[0]!.key], 2)).toEqual([]);
    expect(verdict(chunks, es).problems).toEqual([]);
    expect(events(es)).toHaveLength(1);
    expect(events(es)[0]!._source).toMatchObject({ log: { level: 'error' }, error: { type: 'RuntimeError', message: 'could not load the training config' } });
  });

  it('indexes the event with what it has when the second half never comes, and reports it', async () => {
    const lines = interleaved('python-chained.log');
    const chunks = markedChunks({ jobId: 'job-gone', lines, cuts: [8] });
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    upload(bucket, [chunks[0]!]);
    expect(await indexer(bucket, es)([chunks[0]!.key], 5)).toEqual([]);
    expect(bucket.reports.map((r) => r.code)).toEqual(['NEIGHBOUR_MISSING']);
    const [event] = events(es);
    expect(event!._source['tags']).toContain('event_incomplete');
    const v = exactlyOnceVerdict(expectedDocuments(BUCKET, [chunks[0]!.printed]), es.documents());
    expect(v.problems).toEqual([]);
  });

  it('closes an event in the final chunk when the job dies mid-traceback', async () => {
    const lines = corpusLines('python-during.log')
      .slice(0, 9)
      .map((l) => ({ stream: 'stderr' as const, ...l }));
    const chunks = markedChunks({ jobId: 'job-died', lines, cuts: [3] });
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    upload(bucket, chunks);
    expect(await indexer(bucket, es)(chunks.map((c) => c.key))).toEqual([]);
    expect(verdict(chunks, es).problems).toEqual([]);
    expect(events(es).map((e) => [e._source['joblogs']['span'], e._source['error']['type'], e._source['tags']])).toEqual([[9, 'KeyError', undefined]]);
  });

  it('groups chunks written without marks within each chunk', async () => {
    const lines = interleaved('java-log4j.log');
    const chunks = markedChunks({ jobId: 'job-unmarked', lines, cuts: [], marks: false });
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    upload(bucket, chunks);
    await indexer(bucket, es)(chunks.map((c) => c.key));
    expect(verdict(chunks, es).problems).toEqual([]);
    expect(events(es).map((e) => e._source['error']['type'])).toEqual(['java.lang.IllegalArgumentException']);
  });
});

describe('the corpus in a chunk of plain lines (another producer: no frames, no marks)', () => {
  for (const { file, events: expected } of CORPUS) {
    it(`makes ${file} into its events, with their error type and message`, async () => {
      const { gzipSync } = await import('node:zlib');
      const { corpusBytes } = await import('../../../fixtures/multiline/corpus.js');
      const bucket = new MemoryBucket();
      const es = memoryIndex();
      const key = `chunks/v1/job-${file.replace(/\.log$/, '')}/main/0000000000.log.gz`;
      bucket.put(key, gzipSync(corpusBytes(file)), { stream: 'stderr' });
      await indexer(bucket, es)([key]);
      const found = events(es).sort((a, b) => a._source['event']['sequence'] - b._source['event']['sequence']);
      const ordered = [...expected].sort((a, b) => a.lines[0]! - b.lines[0]!);
      expect(
        found.map((d) => ({
          span: d._source['joblogs']['span'],
          type: d._source['error']['type'],
          message: d._source['error']['message'],
          level: d._source['log']['level'],
        })),
      ).toEqual(ordered.map((e) => ({ span: e.lines.length, type: e.type, message: e.message, level: 'error' })));
      const lines = corpusLines(file);
      for (const [i, doc] of found.entries()) expect(doc._source['message']).toBe(ordered[i]!.lines.map((n) => lines[n]!.text).join('\n'));
      const printed = { key, lines: lines.map((l) => l.text) };
      expect(exactlyOnceVerdict(expectedDocuments(BUCKET, [printed]), es.documents()).problems).toEqual([]);
    });
  }
});

describe('a chunk stopped mid-way', () => {
  it('resumes from its checkpoint without splitting or repeating an event that was open at the stop', async () => {
    const lines = interleaved('pytorch-distributed.log', 2);
    const chunks = markedChunks({ jobId: 'job-resume', lines, cuts: [] });
    let stopped = 0;
    for (const failAfter of [1, 2, 3, 5, 8]) {
      const bucket = new MemoryBucket();
      const es = memoryIndex();
      upload(bucket, chunks);
      let calls = 0;
      let down = false;
      // Elasticsearch goes away after a few requests, until the invocation runs out of time.
      const flaky: BulkSender = async (body) => {
        if (++calls > failAfter) down = true;
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
        return es.sendBulk(body, { timeoutMs: 1000 });
      };
      const index = indexer(bucket, { ...es, sendBulk: flaky }, { BULK_MAX_ACTIONS: '2', BULK_CONCURRENCY: '1', RETRY_BASE_MS: '5000', RETRY_MAX_MS: '20000' });
      if ((await index([chunks[0]!.key])).length === 0) continue; // it all went through before the fault
      stopped++;
      const checkpoints = [...bucket.objects.keys()].filter((k) => k.startsWith('checkpoints/'));
      down = false;
      calls = -1e9;
      expect(await index([chunks[0]!.key], 2)).toEqual([]);
      expect(verdict(chunks, es).problems, `failing after ${failAfter} requests (${checkpoints.length} checkpoint)`).toEqual([]);
      expect(events(es)).toHaveLength(3);
    }
    expect(stopped).toBeGreaterThanOrEqual(3);
  });
});

describe('progress bars', () => {
  it('index one document per bar per chunk, with the redraws it stands for, and the final state', async () => {
    const lines = interleaved('python-training-run.log');
    for (const cut of [0, 5, 10, 20]) {
      const chunks = markedChunks({ jobId: `job-bar-${cut}`, lines, cuts: [cut] });
      const bucket = new MemoryBucket();
      const es = memoryIndex();
      upload(bucket, chunks);
      await indexer(bucket, es)(chunks.map((c) => c.key));
      expect(verdict(chunks, es).problems).toEqual([]);
      // 3 bars of 12, 6 and 8 states (tqdm's first is empty); a boundary inside a bar leaves a document on each side.
      const bars = es.documents().filter((d) => d._source['message'].startsWith('Epoch'));
      expect(bars.length, `cut ${cut}`).toBeLessThanOrEqual(4);
      if (cut === 0) expect(bars.map((d) => d._source['joblogs']['redraws'])).toEqual([11, 5, 7]);
      expect(
        bars
          .map((d) => d._source['message'])
          .sort()
          .at(-1),
      ).toBe('Epoch 1: 100%|██████████| 50/50 [00:06<00:00, 10.10it/s]');
    }
  });

  it('ignores a job pattern from chunk metadata that fails the checks, tags the documents, and still groups by the built-in rules', async () => {
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    const key = 'chunks/v1/job-pattern/main/0000000000.log.gz';
    const { gzipSync } = await import('node:zlib');
    bucket.put(key, gzipSync('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: bad\nnext\n'), {
      'multiline-start': '(a+)+$',
    });
    expect(await indexer(bucket, es)([key])).toEqual([]);
    expect(bucket.reports).toEqual([]);
    expect(es.documents().map((d) => [d._source['joblogs']['span'] ?? 1, d._source['tags']])).toEqual([
      [3, ['multiline_pattern_refused']],
      [1, ['multiline_pattern_refused']],
    ]);
  });

  it('collapse in chunks without frames (the lines format) too', async () => {
    const bucket = new MemoryBucket();
    const es = memoryIndex();
    const key = 'chunks/v1/job-lines/main/0000000000.log.gz';
    const { gzipSync } = await import('node:zlib');
    bucket.put(key, gzipSync('start\r 10%\r 50%\r100%\nafter\n'), {});
    await indexer(bucket, es)([key]);
    expect(es.documents().map((d) => [d._source['message'], d._source['joblogs']['redraws']])).toEqual([
      ['100%', 3],
      ['after', undefined],
    ]);
  });
});
