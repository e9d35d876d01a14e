import { CadenceReason, WatchDefaults } from './constants.js';

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

/** How often the shipper reads the signal (docs/shipper.md, "Fresh when watched"). */
export interface PollPolicy {
  /** While the job is idle and prints: a watch that starts is seen within about this long. */
  pollIntervalMs: number;
  /** While the job is fresh (watched, starting): only the end of a watch is to be seen, and seeing it late costs a few small chunks. */
  freshPollIntervalMs: number;
}

/** The poll policy of a shipper reading every `pollIntervalMs` while idle. */
export function pollPolicy(pollIntervalMs: number): PollPolicy {
  return { pollIntervalMs, freshPollIntervalMs: Math.max(pollIntervalMs, WatchDefaults.freshPollIntervalMs) };
}

/**
 * The delay before the next read of the signal, from the end of the last one; undefined: read
 * only once the job prints again. Idle, a job is read every `pollIntervalMs` (jittered) while it
 * has `output` a watcher would wait for — printed since the last read, or printed before and
 * possibly still held unsealed (the keeper knows for how long) — and not at all otherwise: a line
 * printed after a watch starts is what waits for the switch, so with nothing printed or held there
 * is nothing to be late, and the first line after the silence triggers a read at once. Fresh,
 * every `freshPollIntervalMs`.
 *
 * @example
 * nextReadDelay({ pollIntervalMs: 2_000, freshPollIntervalMs: 10_000 }, { fresh: false, output: false, sinceReadMs: 5_000, random: 0.5 }) // → undefined
 * nextReadDelay({ pollIntervalMs: 2_000, freshPollIntervalMs: 10_000 }, { fresh: false, output: true, sinceReadMs: 500, random: 0.5 })   // → 1500
 */
export function nextReadDelay(p: PollPolicy, at: { fresh: boolean; output: boolean; sinceReadMs: number; random: number }): number | undefined {
  if (at.fresh) return Math.max(0, nextPollDelay(p.freshPollIntervalMs, at.random) - at.sinceReadMs);
  if (!at.output) return undefined;
  return Math.max(0, nextPollDelay(p.pollIntervalMs, at.random) - at.sinceReadMs);
}
