import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WatchSignalError } from '../../../../../shared/core/errors.js';
import {
  afterWatchRead,
  flushCadence,
  isErrorLine,
  isWatched,
  nextReadDelay,
  parseWatchSignal,
  pollPolicy,
  WatchDefaults,
  watchKey,
  type WatchRead,
  type WatchState,
} from '../../../../../shared/core/watch/index.js';
import { ShipperDefaults } from '../../../../../shared/shipper/constants.js';

/** The vectors the Python client's tests read too (clients/python/tests/test_watch_vectors.py). */
const VECTORS = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../../fixtures/watch/vectors.json'), 'utf8'));
const D = VECTORS.defaults;

interface StateJson {
  untilMs: number | null;
  held: boolean | null;
}
const toState = (s: StateJson): WatchState => ({ until: s.untilMs ?? undefined, held: s.held ?? undefined });
const fromState = (s: WatchState): StateJson => ({ untilMs: s.until ?? null, held: s.held ?? null });
const toRead = (r: { kind: string; untilMs?: number }): WatchRead =>
  r.kind === 'found' ? { kind: 'found', until: r.untilMs! } : r.kind === 'missing' ? { kind: 'missing' } : { kind: 'failed', error: new Error('read failed') };

describe('the shared watch vectors (test/fixtures/watch/vectors.json)', () => {
  it('name the Node defaults', () => {
    expect({
      flushIntervalMs: ShipperDefaults.flushIntervalMs,
      idleFlushIntervalMs: ShipperDefaults.idleFlushIntervalMs,
      freshStartMs: ShipperDefaults.freshStartMs,
      watchPollIntervalMs: ShipperDefaults.watchPollIntervalMs,
      freshPollIntervalMs: WatchDefaults.freshPollIntervalMs,
      signalTtlMs: WatchDefaults.signalTtlMs,
      maxAheadMs: WatchDefaults.maxAheadMs,
      watchPrefix: ShipperDefaults.watchPrefix,
    }).toEqual(D);
  });

  it.each(VECTORS.keys as Array<{ jobId: string; prefix?: string; key?: string; error?: boolean }>)('key of $jobId', (v) => {
    if (v.error) expect(() => watchKey(v.jobId, v.prefix)).toThrow(WatchSignalError);
    else expect(watchKey(v.jobId, v.prefix)).toBe(v.key);
  });

  it.each(VECTORS.signals as Array<{ name: string; body: string; nowMs: number; untilMs?: number; error?: boolean }>)('signal: $name', (v) => {
    if (v.error) expect(() => parseWatchSignal(v.body, v.nowMs)).toThrow(WatchSignalError);
    else expect(parseWatchSignal(v.body, v.nowMs)).toBe(v.untilMs);
  });

  it.each(VECTORS.cadence as Array<{ name: string; policy?: object; sinceStartMs: number; nowMs?: number; watch: StateJson; expect: unknown }>)(
    'cadence: $name',
    (v) => {
      const policy = { flushIntervalMs: D.flushIntervalMs, idleFlushIntervalMs: D.idleFlushIntervalMs, freshStartMs: D.freshStartMs, ...v.policy };
      const now = v.nowMs ?? 1_796_119_200_000;
      expect(flushCadence(policy, { startedAt: now - v.sinceStartMs, now, watch: toState(v.watch) })).toEqual(v.expect);
    },
  );

  it.each(
    VECTORS.reads as Array<{ name: string; steps: Array<{ nowMs: number; read: { kind: string; untilMs?: number }; expect: StateJson; watched: boolean }> }>,
  )('reads: $name', (v) => {
    let state: WatchState = toState({ untilMs: null, held: null });
    for (const step of v.steps) {
      state = afterWatchRead(state, toRead(step.read), step.nowMs);
      expect(fromState(state)).toEqual(step.expect);
      expect(isWatched(state, step.nowMs)).toBe(step.watched);
    }
  });

  it.each(
    VECTORS.readDelays as Array<{
      name: string;
      pollIntervalMs?: number;
      fresh: boolean;
      output: boolean;
      sinceReadMs: number;
      random: number;
      expect: number | null;
    }>,
  )('read delay: $name', (v) => {
    const delay = nextReadDelay(pollPolicy(v.pollIntervalMs ?? D.watchPollIntervalMs), v);
    expect(delay ?? null).toBe(v.expect);
  });

  it.each(VECTORS.errorLines as Array<{ line: string; error: boolean }>)('error line: $line → $error', (v) => {
    expect(isErrorLine(Buffer.from(v.line, 'utf8'))).toBe(v.error);
  });
});
