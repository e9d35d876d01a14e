/** Header names we read and write (lowercase, as Node's `IncomingMessage.headers` has them). */
export const TraceHeader = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** Older callers' correlation id: accepted, echoed on the response and forwarded downstream. */
  requestId: 'x-request-id',
  /**
   * Sent back on HTTP responses (W3C Trace Context Level 2): tells the caller — the UI — the
   * trace id to link to. Browsers read it only if CORS lists it in Access-Control-Expose-Headers.
   */
  traceresponse: 'traceresponse',
} as const;

/** Environment variables a spawned job reads; `joblogs run` validates and forwards `TRACEPARENT`. */
export const TraceEnv = {
  traceparent: 'TRACEPARENT',
  tracestate: 'TRACESTATE',
} as const;

/** SQS message attribute and S3 user-metadata names (S3 stores them as `x-amz-meta-<name>`). */
export const TraceAttribute = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  requestId: 'x-request-id',
} as const;

export const TraceFlag = {
  none: 0x00,
  sampled: 0x01,
} as const;

/**
 * Longest `x-request-id` we keep. It is caller-controlled and lands in every log line and
 * outbound request, so anything longer (or with non-printable bytes) is dropped, not trimmed.
 */
export const MAX_REQUEST_ID_LENGTH = 128;

/** A `tracestate` with more list members is dropped whole. */
export const TRACESTATE_MAX_MEMBERS = 32;
