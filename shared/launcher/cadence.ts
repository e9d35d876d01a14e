import { ConfigError } from '../core/errors.js';

/** The longest idle flush interval both shippers take (the Python client bounds every interval to an hour). */
export const MAX_IDLE_FLUSH_INTERVAL_MS = 3_600_000;

/**
 * The stage's idle flush interval (`idleFlushIntervalMs`, stack output `ShipperIdleFlushIntervalMs`)
 * as a whole number of milliseconds, 0 to an hour: what every job's shippers are handed. A stack
 * output arrives as a string. Checked when the stage is packaged and again by the launcher.
 *
 * @example
 * parseIdleFlushIntervalMs('30000'); // 30000
 */
export function parseIdleFlushIntervalMs(value: unknown): number {
  const ms = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_IDLE_FLUSH_INTERVAL_MS)
    throw new ConfigError(`Invalid idle flush interval ${JSON.stringify(value)}: a whole number of milliseconds, 0 to ${MAX_IDLE_FLUSH_INTERVAL_MS}`, {
      problems: ['idleFlushIntervalMs'],
    });
  return ms;
}
