import { randomBytes } from 'node:crypto';

/** W3C Trace Context ids (https://www.w3.org/TR/trace-context/#traceparent-header). */
export interface TraceIds {
  traceId: string;
  spanId?: string;
}

/** Every field of a valid `traceparent`, lowercased; `parentId` is the caller's span id. */
export interface Traceparent {
  version: string;
  traceId: string;
  parentId: string;
  /** Trace flags as a number; bit 0 is `sampled`. */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ALL_ZERO = /^0+$/;

/**
 * Reads a `traceparent`, or returns undefined (never throws: bad context is ignored and the
 * caller starts a new trace). Uppercase hex is accepted and lowercased — the spec asks senders for
 * lowercase; being lenient here keeps a sloppy caller's trace instead of splitting it.
 */
export function readTraceparent(value: string | undefined): Traceparent | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const match = TRACEPARENT.exec(trimmed.toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is forbidden; all-zero ids mean "invalid" per the spec.
  if (version === 'ff' || ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === '00' && trimmed.length !== 55) return undefined;
  return { version, traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** Returns the ids of a valid `traceparent`, or undefined (never throws: bad context is ignored). */
export function parseTraceparent(value: string | undefined): TraceIds | undefined {
  const parsed = readTraceparent(value);
  return parsed && { traceId: parsed.traceId, spanId: parsed.parentId };
}

/** A version-00 `traceparent` — what we send is always the version we implement, lowercase. */
export function formatTraceparent(ids: { traceId: string; spanId: string; flags: number }): string {
  return `00-${ids.traceId}-${ids.spanId}-${(ids.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A random, never all-zero trace id (16 bytes as 32 hex). */
export function newTraceId(random: (n: number) => Buffer = randomBytes): string {
  return randomHexId(16, random);
}

/** A random, never all-zero span id (8 bytes as 16 hex). */
export function newSpanId(random: (n: number) => Buffer = randomBytes): string {
  return randomHexId(8, random);
}

export function normalizeTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Most ids come as written: lowercase hex of the right length, checked without a copy.
  if (value.length === 32 && isLowerHexId(value)) return value;
  const id = value.trim().toLowerCase();
  return TRACE_ID.test(id) && !ALL_ZERO.test(id) ? id : undefined;
}

export function normalizeSpanId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 16 && isLowerHexId(value)) return value;
  const id = value.trim().toLowerCase();
  return SPAN_ID.test(id) && !ALL_ZERO.test(id) ? id : undefined;
}

/** Only `0-9a-f`, not all zero. */
function isLowerHexId(value: string): boolean {
  let nonZero = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
    if (c !== 0x30) nonZero = true;
  }
  return nonZero;
}

function randomHexId(bytes: number, random: (n: number) => Buffer): string {
  let id = '';
  // All-zero ids are invalid per the spec; astronomically unlikely, but cheap to rule out.
  while (id === '' || ALL_ZERO.test(id)) id = random(bytes).toString('hex');
  return id;
}
