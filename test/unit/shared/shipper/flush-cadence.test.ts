import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CadenceReason, type Cadence, type WatchRead } from '../../../../shared/core/watch/index.js';
import { FlushCadenceKeeper } from '../../../../shared/shipper/flush-cadence.js';

const POLICY = { flushIntervalMs: 1_000, idleFlushIntervalMs: 30_000, freshStartMs: 60_000 };

/** A keeper on the fake clock whose reads answer whatever `signal` holds at the time; the job prints every 250 ms unless `silent`. */
function keeper(policy = POLICY, { silent = false } = {}) {
  let signal: WatchRead = { kind: 'missing' };
  const changes: Cadence[] = [];
  let reads = 0;
  const k = new FlushCadenceKeeper({
    policy,
    pollIntervalMs: 2_000,
    read: async () => {
      reads++;
      return signal;
    },
    onChange: (c) => changes.push(c),
    random: () => 0.5,
  });
  if (!silent) setInterval(() => k.noteOutput(), 250);
  return {
    k,
    changes,
    reads: () => reads,
    watchFor: (ms: number) => void (signal = { kind: 'found', until: Date.now() + ms }),
    unwatch: () => void (signal = { kind: 'missing' }),
    fail: () => void (signal = { kind: 'failed', error: new Error('ECONNRESET') }),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-12-01T10:00:00Z') });
});
afterEach(() => vi.useRealTimers());

describe('FlushCadenceKeeper', () => {
  it('starts fresh and turns idle when the fresh start ends with nobody watching', async () => {
    const { k, changes } = keeper();
    expect(k.current).toEqual({ intervalMs: 1_000, reason: CadenceReason.starting });
    k.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([{ intervalMs: 30_000, reason: CadenceReason.unwatched }]);
    k.stop();
  });

  it('turns fresh within one idle poll of someone starting to watch, and idle within one fresh poll of the signal running out', async () => {
    const t = keeper({ ...POLICY, freshStartMs: 0 });
    t.k.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.k.current.reason).toBe(CadenceReason.unwatched);
    t.watchFor(90_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.k.current).toEqual({ intervalMs: 1_000, reason: CadenceReason.watched });
    await vi.advanceTimersByTimeAsync(80_000);
    expect(t.k.current.reason).toBe(CadenceReason.watched);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.k.current).toEqual({ intervalMs: 30_000, reason: CadenceReason.unwatched });
    expect(t.changes.map((c) => c.reason)).toEqual([CadenceReason.watched, CadenceReason.unwatched]);
    t.k.stop();
  });

  it('keeps its mode while reads fail: watched stays watched past its until, unwatched stays unwatched', async () => {
    const t = keeper({ ...POLICY, freshStartMs: 0 });
    t.watchFor(20_000);
    t.k.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.k.current.reason).toBe(CadenceReason.watched);
    t.fail();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.k.current.reason).toBe(CadenceReason.watched);
    expect(t.k.failedReads).toBeGreaterThan(5);
    t.unwatch();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.k.current.reason).toBe(CadenceReason.unwatched);
    t.fail();
    const failed = t.k.failedReads;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.k.current.reason).toBe(CadenceReason.unwatched);
    expect(t.k.failedReads).toBeGreaterThan(failed + 40);
    t.k.stop();
  });

  it('survives a read that throws instead of answering', async () => {
    const changes: Cadence[] = [];
    const k = new FlushCadenceKeeper({
      policy: { ...POLICY, freshStartMs: 0 },
      pollIntervalMs: 10_000,
      read: () => Promise.reject(new Error('bug')),
      onChange: (c) => changes.push(c),
    });
    setInterval(() => k.noteOutput(), 250);
    k.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(k.failedReads).toBeGreaterThanOrEqual(3);
    expect(k.current.reason).toBe(CadenceReason.unwatched);
    k.stop();
  });

  it('reads nothing when the idle interval is 0: always fresh, as before', async () => {
    const t = keeper({ ...POLICY, idleFlushIntervalMs: 0 });
    t.k.start();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.reads()).toBe(0);
    expect(t.k.current).toEqual({ intervalMs: 1_000, reason: CadenceReason.alwaysFresh });
  });

  it('reads every fresh poll interval while fresh, every poll interval while idle and printing, and stops reading when stopped', async () => {
    const t = keeper();
    t.k.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(t.reads()).toBe(6); // at 0, 10, …, 50 s: fresh start
    await vi.advanceTimersByTimeAsync(41_000);
    expect(t.reads()).toBe(6 + 20); // from 60 s every 2 s
    t.k.stop();
    await vi.advanceTimersByTimeAsync(100_000);
    expect(t.reads()).toBe(26);
  });

  it('reads nothing while an idle job is silent, and at once when it prints again', async () => {
    const t = keeper({ ...POLICY, freshStartMs: 0 }, { silent: true });
    t.k.start();
    await vi.advanceTimersByTimeAsync(300_000);
    expect(t.reads()).toBe(1);
    t.watchFor(90_000);
    t.k.noteOutput();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.reads()).toBe(2);
    expect(t.k.current.reason).toBe(CadenceReason.watched);
    t.k.stop();
  });

  it('goes on reading for one idle interval after the job falls silent, so a watch then still finds the lines it holds', async () => {
    const t = keeper({ ...POLICY, freshStartMs: 0 }, { silent: true });
    t.k.start();
    await vi.advanceTimersByTimeAsync(1);
    t.k.noteOutput(); // the last line before a long silence, held by the 30 s idle interval
    await vi.advanceTimersByTimeAsync(20_000);
    const reads = t.reads();
    expect(reads).toBeGreaterThanOrEqual(8); // every 2 s since the line
    t.watchFor(90_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.k.current.reason).toBe(CadenceReason.watched);
    t.unwatch();
    await vi.advanceTimersByTimeAsync(20_000); // watched: one read per 10 s, which sees the watch end
    expect(t.k.current.reason).toBe(CadenceReason.unwatched);
    const afterWatch = t.reads();
    await vi.advanceTimersByTimeAsync(300_000);
    expect(t.reads(), 'nothing printed or held: no more reads').toBe(afterWatch);
    t.k.stop();
  });
});
