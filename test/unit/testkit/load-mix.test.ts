import { describe, expect, it } from 'vitest';
import { planJobs } from '../../../testkit/load/mix.js';
import type { MixOptions } from '../../../testkit/load/index.js';

const mix = (o: Partial<MixOptions>): MixOptions => ({
  jobs: 300,
  jobPrefix: 'load-test',
  seed: 1,
  chattyShare: 0.03,
  burstyShare: 0.12,
  rateScale: 1,
  flushIntervalMs: 1_000,
  idleFlushIntervalMs: 30_000,
  watchedShare: 0.05,
  durationMs: 600_000,
  ...o,
});

const offsets = (o: Partial<MixOptions>) => planJobs(mix(o)).map((p) => p.startOffsetMs);

describe('planJobs: when the simulated jobs start', () => {
  it('spreads the first lines over the idle interval, so unwatched jobs do not seal in lockstep', () => {
    const starts = offsets({ flushIntervalMs: 1_000, idleFlushIntervalMs: 30_000 });
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...starts)).toBeLessThan(30_000);
    // Every 3-second slice of the 30 s holds some of the 300 starts: spread, not bunched in the first second.
    for (let slice = 0; slice < 10; slice++) expect(starts.filter((t) => Math.floor(t / 3_000) === slice).length).toBeGreaterThan(5);
  });

  it('spreads them over the flush interval when no idle interval is longer, and over 30 s at most', () => {
    expect(Math.max(...offsets({ flushIntervalMs: 5_000, idleFlushIntervalMs: 0 }))).toBeLessThan(5_000);
    expect(Math.max(...offsets({ flushIntervalMs: 1_000, idleFlushIntervalMs: 120_000 }))).toBeLessThan(30_000);
    expect(Math.max(...offsets({ flushIntervalMs: 1_000, idleFlushIntervalMs: 120_000 }))).toBeGreaterThan(25_000);
  });

  it('keeps the spread within a quarter of a short run, so every job prints for most of it', () => {
    const starts = offsets({ flushIntervalMs: 1_000, idleFlushIntervalMs: 30_000, durationMs: 20_000 });
    expect(Math.max(...starts)).toBeLessThan(5_000);
    expect(Math.max(...starts)).toBeGreaterThan(4_000);
  });
});
