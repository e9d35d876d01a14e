import { describe, expect, it } from 'vitest';
import { checkpointKey, ConfirmedPrefix, parseCheckpoint } from '../../../../../shared/core/ingest/index.js';

describe('ConfirmedPrefix', () => {
  it('advances only over batches that all finished cleanly, in the order they were sent', () => {
    const p = new ConfirmedPrefix(0);
    const [a, b, c] = [p.sent(10), p.sent(20), p.sent(30)];
    p.done(b, true);
    expect(p.position).toBe(0);
    p.done(a, true);
    expect(p.position).toBe(20);
    p.done(c, false); // rejected documents: sent again by a resumed run
    expect(p.position).toBe(20);
  });

  it('starts where a previous run stopped', () => {
    const p = new ConfirmedPrefix(40);
    p.done(p.sent(45), true);
    expect(p.position).toBe(45);
  });

  it('holds at a line kept back by an open event while batches of later lines complete', () => {
    const p = new ConfirmedPrefix(0);
    // Lines 5… went out while the event that starts at 3 was still open: the first two batches end at 3.
    const tickets = [p.sent(3), p.sent(3), p.sent(40)];
    p.done(tickets[0]!, true);
    p.done(tickets[1]!, true);
    expect(p.position).toBe(3);
    p.done(tickets[2]!, true);
    expect(p.position).toBe(40);
  });
});

describe('checkpoints', () => {
  const where = { bucket: 'b', key: 'chunks/v1/j/main/0000000001.log.gz', etag: '"e"' };
  const good = JSON.stringify({ version: 1, ...where, position: 12, at: '2026-11-25T10:00:00.000Z' });

  it('are keyed by bucket and object key, under the prefix', () => {
    expect(checkpointKey('checkpoints/indexer/', 'b', where.key)).toMatch(/^checkpoints\/indexer\/[A-Za-z0-9_-]{43}\.json$/);
    expect(checkpointKey('p/', 'b', 'x')).not.toBe(checkpointKey('p/', 'b2', 'x'));
  });

  it('apply only to the same object version', () => {
    expect(parseCheckpoint(good, where)?.position).toBe(12);
    expect(parseCheckpoint(good, { ...where, etag: '"other"' })).toBeUndefined();
    expect(parseCheckpoint(good, { ...where, etag: undefined })).toBeUndefined();
    expect(parseCheckpoint(good, { ...where, key: 'chunks/v1/j/main/0000000002.log.gz' })).toBeUndefined();
    expect(parseCheckpoint('{', where)).toBeUndefined();
    expect(parseCheckpoint(JSON.stringify({ ...JSON.parse(good), position: -1 }), where)).toBeUndefined();
  });
});
