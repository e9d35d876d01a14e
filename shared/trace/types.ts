/**
 * The trace context of the unit of work running now. Shaped like OpenTelemetry's `SpanContext`
 * (same field names and id formats) plus what OTel does not carry: the parent span and an
 * older caller's request id.
 */
export interface TraceContext {
  /** 32 lowercase hex, shared by every span of the trace. */
  traceId: string;
  /** 16 lowercase hex: this unit of work (a request served, a message handled, a job run). */
  spanId: string;
  /** The caller's span (the `parent-id` it sent), or the local span this one was started under. */
  parentSpanId?: string;
  /** W3C trace flags; bit 0 = sampled. Forwarded as received. */
  traceFlags: number;
  /** Validated `tracestate`, forwarded as received (we add no entry of our own). */
  traceState?: string;
  /** `x-request-id` of the request that started this, if any. */
  requestId?: string;
}

/** Incoming context as read from a carrier (headers, message attributes, metadata, env). */
export interface TraceCarrierValues {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  requestId?: string | undefined;
}

/** Where random ids come from; tests pass a deterministic one. */
export type RandomBytes = (size: number) => Buffer;
