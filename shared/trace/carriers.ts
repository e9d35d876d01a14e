import { formatTraceparent } from '../core/contract/index.js';
import { TraceAttribute, TraceEnv, TraceHeader } from './constants.js';
import { continueTrace } from './span.js';
import type { TraceContext } from './types.js';

type HeaderBag = Record<string, string | string[] | undefined | null>;

/**
 * Outbound HTTP headers for `trace`: `traceparent` names our span as the callee's parent;
 * `tracestate` and `x-request-id` are forwarded unchanged.
 */
export function traceHeaders(trace: TraceContext): Record<string, string> {
  return {
    [TraceHeader.traceparent]: formatTraceparent({ traceId: trace.traceId, spanId: trace.spanId, flags: trace.traceFlags }),
    ...(trace.traceState ? { [TraceHeader.tracestate]: trace.traceState } : {}),
    ...(trace.requestId ? { [TraceHeader.requestId]: trace.requestId } : {}),
  };
}

/** The `traceresponse` header value: the span that served the request. */
export function traceResponseHeader(trace: TraceContext): string {
  return formatTraceparent({ traceId: trace.traceId, spanId: trace.spanId, flags: trace.traceFlags });
}

/**
 * The span serving a request with these headers (names in any case, as Node, API Gateway or ALB
 * give them): a child of a valid `traceparent`, or a new trace.
 */
export function traceFromHeaders(headers: HeaderBag | undefined): TraceContext {
  const lower: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value != null) lower[name.toLowerCase()] = value;
  return continueTrace({
    traceparent: single(lower[TraceHeader.traceparent]),
    // Several tracestate headers are one list (https://www.w3.org/TR/trace-context/#combined-header-value).
    tracestate: joined(lower[TraceHeader.tracestate]),
    requestId: single(lower[TraceHeader.requestId]),
  });
}

/** SQS `MessageAttributes` for `SendMessage` (3 of the 10 attributes a message may have). */
export function sqsTraceAttributes(trace: TraceContext): Record<string, { DataType: 'String'; StringValue: string }> {
  return Object.fromEntries(Object.entries(carrierValues(trace)).map(([name, value]) => [name, { DataType: 'String' as const, StringValue: value }]));
}

/** A message's span, from its attributes as Lambda delivers them (`messageAttributes.x.stringValue`) or `ReceiveMessage` returns them. */
export function traceFromSqsMessage(message: {
  messageAttributes?: Record<string, { stringValue?: string | undefined }>;
  MessageAttributes?: Record<string, { StringValue?: string | undefined }>;
}): TraceContext {
  const read = (name: string) => message.messageAttributes?.[name]?.stringValue ?? message.MessageAttributes?.[name]?.StringValue;
  return continueTrace({
    traceparent: read(TraceAttribute.traceparent),
    tracestate: read(TraceAttribute.tracestate),
    requestId: read(TraceAttribute.requestId),
  });
}

/** S3 user metadata for `PutObject` (`x-amz-meta-traceparent`, as the chunk contract reads it). */
export function s3TraceMetadata(trace: TraceContext): Record<string, string> {
  return carrierValues(trace);
}

/** The span handling an object, from its user metadata (`GetObject`/`HeadObject` `Metadata`). */
export function traceFromS3Metadata(metadata: Record<string, string | undefined> | undefined): TraceContext {
  return continueTrace({
    traceparent: metadata?.[TraceAttribute.traceparent],
    tracestate: metadata?.[TraceAttribute.tracestate],
    requestId: metadata?.[TraceAttribute.requestId],
  });
}

/** Environment for a spawned job: `TRACEPARENT` (which `joblogs run` forwards and stamps on its chunks) and `TRACESTATE`. */
export function jobTraceEnv(trace: TraceContext): Record<string, string> {
  const values = carrierValues(trace);
  return {
    [TraceEnv.traceparent]: values[TraceAttribute.traceparent]!,
    ...(trace.traceState ? { [TraceEnv.tracestate]: trace.traceState } : {}),
  };
}

/** A job's span, from the environment it was started with (pass `process.env`). */
export function traceFromEnv(env: Record<string, string | undefined>): TraceContext {
  return continueTrace({ traceparent: env[TraceEnv.traceparent], tracestate: env[TraceEnv.tracestate] });
}

/** Message attributes and object metadata use the header names, so one shape serves all three. */
function carrierValues(trace: TraceContext): Record<string, string> {
  return traceHeaders(trace);
}

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
