import { randomBytes } from 'node:crypto';
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from '../shared/core/contract/index.js';
import { CliConfigError } from './errors.js';

/** A new sampled W3C traceparent (version 00) with random ids. */
export function generateTraceparent(random: (n: number) => Buffer = randomBytes): string {
  return formatTraceparent({ traceId: newTraceId(random), spanId: newSpanId(random), flags: 1 });
}

/** The given traceparent (validated) or a new one. */
export function resolveTraceparent(given: string | undefined): string {
  if (given === undefined || given.trim() === '') return generateTraceparent();
  if (!parseTraceparent(given)) throw new CliConfigError(`TRACEPARENT ${JSON.stringify(given)} is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)`);
  return given.trim().toLowerCase();
}
