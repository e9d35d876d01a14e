import { describe, expect, it } from 'vitest';
import {
  BulkBatcher,
  bulkBody,
  classifyItem,
  describeChunk,
  readBulkResults,
  bulkActionPrefix,
  bulkActionWriter,
  EcsDocumentWriter,
  type BulkBatch,
  type BulkItem,
  type SerializedLine,
} from '../../../../../shared/core/ingest/index.js';
import { chunkKey } from '../../../../../shared/core/contract/index.js';
import { seededRandom } from '../support.js';

const chunk = describeChunk(
  { bucket: 'joblogs-logs-prod', key: chunkKey({ jobId: 'job-42', source: 'main', seq: 0 }), metadata: {}, eventTime: '2026-11-25T10:00:00Z' },
  { stage: 'prod', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => 0 },
);

function indexable(text: string, position = 0): SerializedLine {
  return new EcsDocumentWriter(chunk).write({ bytes: Buffer.from(text), position })!;
}

/** An action of exactly `bytes` bytes; only sizes matter to the batcher. */
function sized(id: string, bytes: number): { id: string; action: string } {
  return { id, action: 'x'.repeat(bytes) };
}

/** An item as the batcher hands it back. */
function item(id: string, bytes: number): BulkItem {
  return { id, payload: Buffer.from('x'.repeat(bytes)) };
}

function feed(batcher: BulkBatcher, actions: ReadonlyArray<{ id: string; action: string }>): BulkBatch[] {
  const batches: BulkBatch[] = [];
  for (const { id, action } of actions) {
    const closed = batcher.add(id, action);
    if (closed) batches.push(closed);
  }
  const last = batcher.flush();
  if (last) batches.push(last);
  return batches;
}

const ids = (batches: readonly BulkBatch[]) => batches.map((b) => b.items.map((i) => i.id));

describe('bulkActionWriter', () => {
  it('writes a create action for the data stream with the deterministic id, then the document', () => {
    const line = indexable('épreuve ✓ 😀', 3);
    const [action, source, rest] = bulkActionWriter(chunk.dataStream)(line).split('\n');
    expect(JSON.parse(action!)).toEqual({ create: { _index: 'logs-mlplatform.job-prod', _id: line.id } });
    expect(JSON.parse(source!)).toEqual(JSON.parse(line.json.toString('utf8')));
    expect(rest).toBe('');
  });

  it('keeps every document on one NDJSON line, whatever the message holds', () => {
    const action = bulkActionWriter(chunk.dataStream)(indexable('a\u0000b\u2028c\u2029d"e\\f'));
    expect(action.match(/\n/g)).toHaveLength(2);
    expect(JSON.parse(action.split('\n')[1]!).message).toBe('a\u0000b\u2028c\u2029d"e\\f');
  });
});

describe('BulkBatcher.addDocument', () => {
  it('writes the bytes add() writes for the same action, ids that need escaping included', () => {
    const lines = [indexable('épreuve ✓ 😀', 0), indexable('{"msg":"two"}', 1), { id: 'odd "id"\\ é', json: Buffer.from('{"message":"x"}') }];
    const limits = { maxActions: 2, maxBytes: 1_000_000 };
    const fromStrings = feed(
      new BulkBatcher(limits),
      lines.map((l) => ({ id: l.id, action: bulkActionWriter('ds')(l) })),
    );
    const batcher = new BulkBatcher(limits);
    const fromBytes = [...lines.map((l) => batcher.addDocument(bulkActionPrefix('ds'), l)), batcher.flush()].filter((b) => b !== undefined);
    expect(fromBytes.map((b) => b.body.toString('hex'))).toEqual(fromStrings.map((b) => b.body.toString('hex')));
    expect(ids(fromBytes)).toEqual([[lines[0]!.id, lines[1]!.id], ['odd "id"\\ é']]);
  });

  it('closes a batch at the byte bound as add() does', () => {
    const line = indexable('x'.repeat(200));
    const size = Buffer.byteLength(bulkActionWriter('ds')(line));
    const batcher = new BulkBatcher({ maxActions: 100, maxBytes: 2 * size });
    expect(batcher.addDocument(bulkActionPrefix('ds'), line)).toBeUndefined();
    expect(batcher.addDocument(bulkActionPrefix('ds'), line)).toBeUndefined();
    expect(batcher.addDocument(bulkActionPrefix('ds'), line)?.bytes).toBe(2 * size);
  });
});

describe('bulk bodies', () => {
  it('are the UTF-8 bytes of the actions back to back, counted in bytes, not characters', () => {
    const actions = [indexable('épreuve ✓ 😀', 0), indexable('two', 1)].map((l) => ({ id: l.id, action: bulkActionWriter('ds')(l) }));
    const [batch] = feed(new BulkBatcher({ maxActions: 10, maxBytes: 1_000_000 }), actions);
    const text = actions[0]!.action + actions[1]!.action;
    expect(batch!.body.toString('utf8')).toBe(text);
    expect(batch!.bytes).toBe(Buffer.byteLength(text));
    expect(batch!.bytes).toBeGreaterThan(text.length);
    expect(batch!.items.map((i) => i.payload.toString('utf8'))).toEqual(actions.map((a) => a.action));
    expect(
      batch!.body
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ).toHaveLength(4);
  });

  it('for a retry, hold only the items given, in order', () => {
    const [batch] = feed(new BulkBatcher({ maxActions: 10, maxBytes: 1_000 }), [sized('a', 3), { id: 'b', action: 'bbb' }, { id: 'c', action: 'ccc' }]);
    expect(bulkBody([batch!.items[2]!, batch!.items[0]!]).toString()).toBe('cccxxx');
    expect(bulkBody([]).length).toBe(0);
  });

  it('survive the batch buffer growing many times', () => {
    const actions = Array.from({ length: 3000 }, (_, i) => ({ id: String(i), action: `${'é'.repeat(i % 50)}${i}\n` }));
    const batches = feed(new BulkBatcher({ maxActions: 5000, maxBytes: 10_000_000 }), actions);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.items.map((i) => i.payload.toString('utf8'))).toEqual(actions.map((a) => a.action));
  });
});

describe('BulkBatcher', () => {
  it('closes a batch when it holds the maximum number of actions', () => {
    const batches = feed(
      new BulkBatcher({ maxActions: 2, maxBytes: 1_000_000 }),
      ['a', 'b', 'c', 'd', 'e'].map((id) => sized(id, 10)),
    );
    expect(ids(batches)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('closes a batch before the item that would take it over the byte limit', () => {
    const batches = feed(new BulkBatcher({ maxActions: 100, maxBytes: 100 }), [sized('a', 40), sized('b', 60), sized('c', 1), sized('d', 99), sized('e', 1)]);
    expect(ids(batches)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches.map((b) => b.bytes)).toEqual([100, 100, 1]);
  });

  it('sends an oversized item alone rather than dropping it', () => {
    const batches = feed(new BulkBatcher({ maxActions: 100, maxBytes: 100 }), [sized('a', 10), sized('huge', 500), sized('b', 10)]);
    expect(ids(batches)).toEqual([['a'], ['huge'], ['b']]);
  });

  it('sends an oversized first item alone', () => {
    const batcher = new BulkBatcher({ maxActions: 100, maxBytes: 100 });
    expect(batcher.add('huge', 'x'.repeat(500))).toBeUndefined();
    const closed = batcher.add('a', 'x');
    expect(closed?.items).toEqual([item('huge', 500)]);
    expect(closed?.bytes).toBe(500);
  });

  it('has nothing to flush when empty, or twice', () => {
    const batcher = new BulkBatcher({ maxActions: 2, maxBytes: 100 });
    expect(batcher.flush()).toBeUndefined();
    batcher.add('a', 'x');
    expect(batcher.flush()?.items).toHaveLength(1);
    expect(batcher.flush()).toBeUndefined();
  });

  it('never exceeds either bound except for a lone oversized item, and loses nothing (seeded)', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const limits = { maxActions: 1 + Math.floor(random() * 10), maxBytes: 50 + Math.floor(random() * 500) };
      const actions = Array.from({ length: Math.floor(random() * 100) }, (_, i) => sized(String(i), 1 + Math.floor(random() * 300)));
      const batches = feed(new BulkBatcher(limits), actions);
      expect(batches.flatMap((b) => b.items.map((i) => [i.id, i.payload.toString()]))).toEqual(actions.map((a) => [a.id, a.action]));
      for (const batch of batches) {
        expect(batch.items.length).toBeGreaterThan(0);
        expect(batch.items.length).toBeLessThanOrEqual(limits.maxActions);
        expect(batch.bytes).toBe(batch.items.reduce((sum, i) => sum + i.payload.length, 0));
        if (batch.items.length > 1) expect(batch.bytes).toBeLessThanOrEqual(limits.maxBytes);
      }
    }
  });
});

describe('classifyItem', () => {
  it.each([
    [200, 'indexed'],
    [201, 'indexed'],
    [409, 'duplicate'],
    [400, 'rejected'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [403, 'retry'],
    [404, 'retry'],
  ] as const)('classifies status %i as %s', (status, outcome) => {
    expect(classifyItem({ status })).toBe(outcome);
  });
});

describe('readBulkResults', () => {
  const batch = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => item(id, 10));

  it('pairs each result with its item and sums the outcomes', () => {
    const outcome = readBulkResults(batch, [
      { status: 201 },
      { status: 409, error: { type: 'version_conflict_engine_exception', reason: '[b]: version conflict, document already exists' } },
      { status: 400, error: { type: 'document_parsing_exception', reason: '[1:120] failed to parse field [json] of type [flattened]' } },
      { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } },
      { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } },
      { status: 403, error: { type: 'cluster_block_exception', reason: 'index [.ds-logs] blocked by: [FORBIDDEN/8/index write (api)]' } },
    ]);
    expect(outcome.indexed).toBe(1);
    expect(outcome.duplicates).toBe(1);
    expect(outcome.retry.map((i) => i.id)).toEqual(['d', 'e', 'f']);
    expect(outcome.rejected).toEqual([
      {
        item: batch[2],
        error: {
          status: 400,
          type: 'document_parsing_exception',
          reason: '[1:120] failed to parse field [json] of type [flattened]',
        },
      },
    ]);
  });

  it('retries items Elasticsearch gave no result for', () => {
    const outcome = readBulkResults(batch, [{ status: 201 }, { status: 201 }]);
    expect(outcome.indexed).toBe(2);
    expect(outcome.retry.map((i) => i.id)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('normalises a rejection without an error body', () => {
    expect(readBulkResults([batch[0]!], [{ status: 400 }]).rejected[0]!.error).toEqual({ status: 400, type: 'unknown', reason: '' });
  });

  it('reads an empty batch as nothing done', () => {
    expect(readBulkResults([], [])).toEqual({ indexed: 0, duplicates: 0, retry: [], throttled: 0, rejected: [] });
  });

  it('counts the retried items Elasticsearch answered 429 apart: it is pushing back', () => {
    const outcome = readBulkResults(batch.slice(0, 3), [
      { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } },
      { status: 503 },
      { status: 201 },
    ]);
    expect(outcome.retry.map((i) => i.id)).toEqual(['a', 'b']);
    expect(outcome.throttled).toBe(1);
  });
});
