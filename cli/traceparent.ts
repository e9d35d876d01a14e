import { randomBytes } from 'node:crypto';
import { parseTraceparent } from '../shared/core/index.js';
import { CliConfigError } from './errors.js';

/** A new sampled W3C traceparent (version 00) with random ids. */
export function generateTraceparent(random: (n: number) => Buffer = randomBytes): string {
  let traceId = '';
  let spanId = '';
  // All-zero ids are invalid per the spec; astronomically unlikely, but cheap to rule out.
  while (!/[1-9a-f]/.test(traceId)) traceId = random(16).toString('hex');
  while (!/[1-9a-f]/.test(spanId)) spanId = random(8).toString('hex');
  return `00-${traceId}-${spanId}-01`;
}

/** The given traceparent (validated) or a new one. */
export function resolveTraceparent(given: string | undefined): string {
  if (given === undefined || given.trim() === '') return generateTraceparent();
  if (!parseTraceparent(given)) throw new CliConfigError(`TRACEPARENT ${JSON.stringify(given)} is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)`);
  return given.trim().toLowerCase();
}
