import { WatchSignalError } from '../errors.js';
import { isValidJobId } from '../contract/index.js';
import { WatchDefaults } from './constants.js';

/**
 * The watch signal (docs/shipper.md, "Fresh when watched"): `watch/v1/<jobId>.json`
 * `{ "until": "<ISO time>" }`, written by the logs API — a trusted writer; producers may only read
 * their own job's — while a person follows the job. Until then the job's shippers seal chunks
 * every `flushIntervalMs`; otherwise every `idleFlushIntervalMs`.
 */
export const WATCH_PREFIX = 'watch/';
const VERSION = 'v1';
/** A signal is a few dozen bytes: anything much larger is not one. */
const MAX_SIGNAL_BYTES = 1024;

export function watchKey(jobId: string, prefix = WATCH_PREFIX): string {
  if (!isValidJobId(jobId)) throw new WatchSignalError(`Invalid job id ${JSON.stringify(jobId)}`);
  return `${prefix}${VERSION}/${jobId}.json`;
}

/** The body the logs API writes: watched until `now + forMs`. */
export function encodeWatchSignal(now: number, forMs: number = WatchDefaults.signalTtlMs): string {
  return JSON.stringify({ until: new Date(now + forMs).toISOString() });
}

/**
 * The signal's `until` (epoch ms), clamped to `now + maxAheadMs`: a clock far ahead on the writer's
 * side must not keep a job fresh for hours. Throws {@link WatchSignalError} when the body is not a signal.
 */
export function parseWatchSignal(text: string, now: number, maxAheadMs: number = WatchDefaults.maxAheadMs): number {
  if (text.length > MAX_SIGNAL_BYTES) throw new WatchSignalError(`Watch signal of ${text.length} bytes (at most ${MAX_SIGNAL_BYTES})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WatchSignalError('Watch signal is not JSON');
  }
  const until = typeof value === 'object' && value !== null ? (value as { until?: unknown }).until : undefined;
  const ms = typeof until === 'string' ? Date.parse(until) : Number.NaN;
  if (!Number.isFinite(ms)) throw new WatchSignalError('Watch signal has no valid "until" time');
  return Math.min(ms, now + maxAheadMs);
}
