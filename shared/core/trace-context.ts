/** W3C Trace Context ids (https://www.w3.org/TR/trace-context/#traceparent-header). */
export interface TraceIds {
  traceId: string;
  spanId?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Returns the ids of a valid `traceparent`, or undefined (never throws: bad context is ignored). */
export function parseTraceparent(value: string | undefined): TraceIds | undefined {
  if (!value) return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId] = match as unknown as [string, string, string, string];
  // Version ff is forbidden; all-zero ids mean "invalid" per the spec.
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === '00' && value.trim().length !== 55) return undefined;
  return { traceId, spanId };
}

export function normalizeTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.trim().toLowerCase();
  return TRACE_ID.test(id) && !/^0+$/.test(id) ? id : undefined;
}

export function normalizeSpanId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.trim().toLowerCase();
  return SPAN_ID.test(id) && !/^0+$/.test(id) ? id : undefined;
}
