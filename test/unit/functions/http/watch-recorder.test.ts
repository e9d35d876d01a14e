import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { createWatchRecorder, mayPrintMore } from '../../../../functions/http/watch-recorder.js';
import type { JobSummary } from '../../../../shared/core/contract/index.js';

function recorder(o: { fail?: () => boolean } = {}) {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const writes: Array<{ jobId: string; until: number }> = [];
  const warnings: unknown[] = [];
  const r = createWatchRecorder({
    writer: {
      async write(jobId, at, forMs) {
        if (o.fail?.()) throw new Error('S3 unavailable');
        writes.push({ jobId, until: at + forMs });
      },
    },
    lastWritten: new LRUCache<string, number>({ max: 100 }),
    everyMs: 20_000,
    forMs: 90_000,
    now: () => now,
    logger: { warn: (fields: unknown) => void warnings.push(fields) } as never,
  });
  return { r, writes, warnings, tick: (ms: number) => void (now += ms), now: () => now };
}

describe('the logs API watch recorder', () => {
  it('writes a job watched for 90 s at most once per 20 s per container, each job on its own', async () => {
    const t = recorder();
    await Promise.all([t.r.record('job-1'), t.r.record('job-1'), t.r.record('job-2')]);
    t.tick(19_999);
    await t.r.record('job-1');
    t.tick(1);
    await t.r.record('job-1');
    expect(t.writes.map((w) => w.jobId)).toEqual(['job-1', 'job-2', 'job-1']);
    expect(t.writes.at(-1)!.until).toBe(t.now() + 90_000);
  });

  it('never fails the request when the signal cannot be written, and tries again on the next one', async () => {
    let failing = true;
    const t = recorder({ fail: () => failing });
    await expect(t.r.record('job-1')).resolves.toBeUndefined();
    expect(t.warnings).toHaveLength(1);
    failing = false;
    await t.r.record('job-1');
    expect(t.writes).toHaveLength(1);
  });
});

describe('mayPrintMore', () => {
  it('is true for a job not yet started or with a source still running, false once every source is final', () => {
    const job = (complete: boolean) => ({ complete }) as JobSummary;
    expect(mayPrintMore(undefined)).toBe(true);
    expect(mayPrintMore(job(false))).toBe(true);
    expect(mayPrintMore(job(true))).toBe(false);
  });
});
