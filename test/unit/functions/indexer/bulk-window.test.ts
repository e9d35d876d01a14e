import { describe, expect, it } from 'vitest';
import { BulkWindow } from '../../../../functions/indexer/bulk-window.js';
import type { RejectedItems } from '../../../../functions/indexer/send-batch.js';
import { Slots } from '../../../../shared/core/batch/index.js';
import type { BulkBatch, PositionedBatch } from '../../../../shared/core/ingest/index.js';
import { SearchUnavailableError } from '../../../../shared/core/errors.js';

const positioned = (start: number, end: number): PositionedBatch => ({ start, end, batch: { items: [], bytes: 0, body: Buffer.from(`${start}`) } });

/** A send whose answers the test releases one by one, in any order. */
function manualSend() {
  const pending = new Map<string, { resolve: (r: RejectedItems) => void; reject: (e: unknown) => void }>();
  const send = (batch: BulkBatch) => new Promise<RejectedItems>((resolve, reject) => pending.set(batch.body.toString(), { resolve, reject }));
  return {
    send,
    answer: (start: number, rejected: RejectedItems = []) => pending.get(String(start))!.resolve(rejected),
    fail: (start: number, e: unknown) => pending.get(String(start))!.reject(e),
  };
}

describe('BulkWindow', () => {
  it('confirms only the contiguous prefix of batches that completed cleanly, whatever order they finish in', async () => {
    const es = manualSend();
    const window = new BulkWindow({ start: 0, slots: new Slots(3), send: es.send });
    await window.submit(positioned(0, 10));
    await window.submit(positioned(10, 20));
    await window.submit(positioned(20, 30));
    es.answer(10);
    es.answer(20);
    await new Promise((r) => setImmediate(r));
    expect(window.confirmed).toBe(0);
    es.answer(0);
    await window.drain();
    expect(window.confirmed).toBe(30);
  });

  it('never confirms past a batch with refused documents, and keeps them for the report', async () => {
    const es = manualSend();
    const window = new BulkWindow({ start: 0, slots: new Slots(2), send: es.send });
    await window.submit(positioned(0, 10));
    await window.submit(positioned(10, 20));
    const refused = [{ item: { id: 'x', payload: Buffer.alloc(0) }, error: { type: 'mapper_parsing_exception', reason: 'bad', status: 400 } }];
    es.answer(0, refused);
    es.answer(10);
    await window.drain();
    expect(window.confirmed).toBe(0);
    expect(window.rejected).toEqual(refused);
  });

  it('waits for a free slot before sending, and throws the first failure on the next submit and on drain', async () => {
    const es = manualSend();
    const slots = new Slots(1);
    const window = new BulkWindow({ start: 0, slots, send: es.send });
    await window.submit(positioned(0, 10));
    let second = false;
    const submitting = window.submit(positioned(10, 20)).then(
      () => (second = true),
      (error: unknown) => error,
    );
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    es.fail(0, new SearchUnavailableError('es down'));
    expect(await submitting).toBeInstanceOf(SearchUnavailableError);
    await expect(window.drain()).rejects.toThrow('es down');
    expect(slots.inUse).toBe(0);
  });
});
