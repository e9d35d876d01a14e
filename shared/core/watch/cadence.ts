import { CadenceReason } from './constants.js';

/**
 * What the shipper knows about the watch signal. Pure data, advanced by {@link afterWatchRead}.
 * A failed read never changes the mode: `held` freezes the mode the shipper was in when reads
 * began to fail, until a read succeeds again.
 */
export interface WatchState {
  /** The signal's `until` (epoch ms) as last read; undefined when there was none. */
  until: number | undefined;
  /** Set while reads fail: whether the job counted as watched when they began to. */
  held: boolean | undefined;
}

/** The outcome of one read of the signal. */
export type WatchRead = { kind: 'found'; until: number } | { kind: 'missing' } | { kind: 'failed'; error: Error };

export const UNWATCHED: WatchState = { until: undefined, held: undefined };

export function afterWatchRead(state: WatchState, read: WatchRead, now: number): WatchState {
  switch (read.kind) {
    case 'found':
      return { until: read.until, held: undefined };
    case 'missing':
      return UNWATCHED;
    case 'failed':
      return { until: state.until, held: state.held ?? isWatched(state, now) };
  }
}

export function isWatched(state: WatchState, now: number): boolean {
  return state.held ?? (state.until !== undefined && now < state.until);
}

export interface CadencePolicy {
  /** The interval while fresh (watched, starting). */
  flushIntervalMs: number;
  /** The interval while nobody watches; 0, or not longer than `flushIntervalMs`: always fresh. */
  idleFlushIntervalMs: number;
  /** How long after the start the shipper stays fresh whatever the signal says. */
  freshStartMs: number;
}

export interface Cadence {
  intervalMs: number;
  reason: CadenceReason;
}

/** Whether a policy ever needs the signal: with no longer idle interval there is nothing to decide. */
export function adaptsToWatching(p: CadencePolicy): boolean {
  return p.idleFlushIntervalMs > p.flushIntervalMs;
}

/**
 * The flush interval now: fresh while starting or watched, idle otherwise.
 *
 * @example
 * flushCadence({ flushIntervalMs: 1000, idleFlushIntervalMs: 30_000, freshStartMs: 60_000 }, { startedAt: 0, now: 90_000, watch: UNWATCHED })
 * // → { intervalMs: 30000, reason: 'unwatched' }
 */
export function flushCadence(p: CadencePolicy, at: { startedAt: number; now: number; watch: WatchState }): Cadence {
  if (!adaptsToWatching(p)) return { intervalMs: p.flushIntervalMs, reason: CadenceReason.alwaysFresh };
  if (at.now - at.startedAt < p.freshStartMs) return { intervalMs: p.flushIntervalMs, reason: CadenceReason.starting };
  if (isWatched(at.watch, at.now)) return { intervalMs: p.flushIntervalMs, reason: CadenceReason.watched };
  return { intervalMs: p.idleFlushIntervalMs, reason: CadenceReason.unwatched };
}

/** The delay before the next read: `pollIntervalMs` ± 25 %, `random` in [0, 1). */
export function nextPollDelay(pollIntervalMs: number, random: number): number {
  return Math.round(pollIntervalMs * (0.75 + random * 0.5));
}
