import { describe, expect, it } from 'vitest';
import { parseChunkNotification } from '../../../../../shared/core/ingest/index.js';
import { chunkAnnouncement, RateLimit } from '../../../../../shared/core/ops/index.js';

describe('chunkAnnouncement', () => {
  it('is an S3 notification the indexer reads back to the same keys, however odd the characters', () => {
    const keys = ['chunks/v1/job-1/main/0000000000.log.gz', 'chunks/v1/job.2/rank-3/0000000017.log.gz', 'chunks/v1/a b+c%/main/1.log.gz'];
    const body = chunkAnnouncement(
      'joblogs-dev-logs',
      keys.map((key) => ({ key, size: 10 })),
      new Date('2026-11-25T12:00:00Z'),
    );
    const parsed = parseChunkNotification(body);
    expect(parsed).toEqual({
      kind: 'objects',
      ignored: 0,
      objects: keys.map((key) => ({ bucket: 'joblogs-dev-logs', key, size: 10, eventTime: '2026-11-25T12:00:00.000Z' })),
    });
  });
});

describe('RateLimit', () => {
  it("lets a second's worth through at once, then paces to the rate", async () => {
    let now = 0;
    const slept: number[] = [];
    const limit = new RateLimit(10, { now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) });
    for (let i = 0; i < 10; i++) await limit.take(1);
    expect(slept).toEqual([]);
    await limit.take(5);
    expect(now).toBe(500);
    await limit.take(20); // more than a second's worth: one full bucket
    expect(now).toBe(1500);
  });
});
