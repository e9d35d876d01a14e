import { describe, expect, it } from 'vitest';
import {
  afterWatchRead,
  CadenceReason,
  flushCadence,
  isWatched,
  nextPollDelay,
  UNWATCHED,
  type CadencePolicy,
} from '../../../../../shared/core/watch/index.js';

const POLICY: CadencePolicy = { flushIntervalMs: 1_000, idleFlushIntervalMs: 30_000, freshStartMs: 60_000 };
const STARTED = 1_000_000;
const at = (sinceStart: number, watch = UNWATCHED) => ({ startedAt: STARTED, now: STARTED + sinceStart, watch });

describe('flushCadence', () => {
  it('is fresh during the fresh start, whatever the signal says', () => {
    expect(flushCadence(POLICY, at(0))).toEqual({ intervalMs: 1_000, reason: CadenceReason.starting });
    expect(flushCadence(POLICY, at(59_999))).toEqual({ intervalMs: 1_000, reason: CadenceReason.starting });
  });

  it('is idle after the fresh start while nobody watches', () => {
    expect(flushCadence(POLICY, at(60_000))).toEqual({ intervalMs: 30_000, reason: CadenceReason.unwatched });
  });

  it('is fresh while the signal is ahead, and idle again once it has passed', () => {
    const watch = afterWatchRead(UNWATCHED, { kind: 'found', until: STARTED + 100_000 }, STARTED + 70_000);
    expect(flushCadence(POLICY, at(70_000, watch))).toEqual({ intervalMs: 1_000, reason: CadenceReason.watched });
    expect(flushCadence(POLICY, at(99_999, watch)).reason).toBe(CadenceReason.watched);
    expect(flushCadence(POLICY, at(100_000, watch))).toEqual({ intervalMs: 30_000, reason: CadenceReason.unwatched });
  });

  it('is always fresh, reading nothing, when the idle interval is 0 or not longer', () => {
    for (const idleFlushIntervalMs of [0, 1_000, 500]) {
      expect(flushCadence({ ...POLICY, idleFlushIntervalMs }, at(120_000))).toEqual({ intervalMs: 1_000, reason: CadenceReason.alwaysFresh });
    }
  });

  it('with no fresh start is idle from the first moment', () => {
    expect(flushCadence({ ...POLICY, freshStartMs: 0 }, at(0)).reason).toBe(CadenceReason.unwatched);
  });
});

describe('afterWatchRead', () => {
  const now = 5_000;
  const watched = afterWatchRead(UNWATCHED, { kind: 'found', until: now + 60_000 }, now);
  const failed = { kind: 'failed', error: new Error('ECONNRESET') } as const;

  it('a missing signal means unwatched', () => {
    expect(isWatched(afterWatchRead(watched, { kind: 'missing' }, now), now)).toBe(false);
  });

  it('keeps a watched job watched while reads fail, even past its until, until a read succeeds', () => {
    const held = afterWatchRead(afterWatchRead(watched, failed, now), failed, now + 30_000);
    expect(isWatched(held, now + 120_000)).toBe(true);
    expect(isWatched(afterWatchRead(held, { kind: 'missing' }, now + 120_000), now + 120_000)).toBe(false);
  });

  it('keeps an unwatched job unwatched while reads fail', () => {
    const held = afterWatchRead(UNWATCHED, failed, now);
    expect(isWatched(held, now)).toBe(false);
    expect(isWatched(afterWatchRead(held, { kind: 'found', until: now + 1_000 }, now), now)).toBe(true);
  });
});

describe('nextPollDelay', () => {
  it('jitters ±25 % around the interval', () => {
    expect(nextPollDelay(10_000, 0)).toBe(7_500);
    expect(nextPollDelay(10_000, 0.5)).toBe(10_000);
    expect(nextPollDelay(10_000, 0.999_999)).toBe(12_500);
  });
});
