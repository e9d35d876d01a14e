import { createTraceState } from '@opentelemetry/api';
import { newSpanId, newTraceId, readTraceparent } from '../core/contract/index.js';
import { MAX_REQUEST_ID_LENGTH, TRACESTATE_MAX_MEMBERS, TraceFlag } from './constants.js';
import type { RandomBytes, TraceCarrierValues, TraceContext } from './types.js';

const REQUEST_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** A new root span: a trace nobody started before us (sampled). */
export function startTrace(options: { requestId?: string | undefined; random?: RandomBytes } = {}): TraceContext {
  return {
    traceId: newTraceId(options.random),
    spanId: newSpanId(options.random),
    traceFlags: TraceFlag.sampled,
    ...optionalRequestId(options.requestId),
  };
}

/** A child span of `parent`: same trace, flags, state and request id, a new span id. */
export function childSpan(parent: TraceContext, random?: RandomBytes): TraceContext {
  return { ...parent, spanId: newSpanId(random), parentSpanId: parent.spanId };
}

/**
 * The span of the work a caller asked for: a child of the caller's `traceparent` when it is
 * valid, otherwise a new trace (https://www.w3.org/TR/trace-context/#a-traceparent-is-received).
 * `tracestate` is kept only with a valid `traceparent`; an `x-request-id` is kept either way.
 */
export function continueTrace(incoming: TraceCarrierValues, random?: RandomBytes): TraceContext {
  const requestId = normalizeRequestId(incoming.requestId);
  const parent = readTraceparent(incoming.traceparent);
  if (!parent) return startTrace({ requestId, random });
  return {
    traceId: parent.traceId,
    spanId: newSpanId(random),
    parentSpanId: parent.parentId,
    traceFlags: parent.flags,
    ...optionalTraceState(normalizeTraceState(incoming.tracestate)),
    ...optionalRequestId(requestId),
  };
}

/**
 * A `tracestate` within the spec's limits, or undefined: members with an invalid key or value are
 * dropped (OpenTelemetry's parser), and a header longer than 512 characters or with more than 32
 * members is dropped whole (https://www.w3.org/TR/trace-context/#tracestate-limits).
 */
export function normalizeTraceState(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // Counted here: @opentelemetry/api 1.9 keeps 32 of a longer list but reverses their order.
  if (value.split(',').filter((member) => member.trim() !== '').length > TRACESTATE_MAX_MEMBERS) return undefined;
  const serialized = createTraceState(value).serialize();
  return serialized === '' ? undefined : serialized;
}

/** An `x-request-id` of 1–128 printable ASCII characters, else undefined. */
export function normalizeRequestId(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && REQUEST_ID.test(trimmed) ? trimmed : undefined;
}

const optionalRequestId = (requestId: string | undefined) => (requestId ? { requestId } : {});
const optionalTraceState = (traceState: string | undefined) => (traceState ? { traceState } : {});
