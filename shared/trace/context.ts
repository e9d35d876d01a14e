import { context as otelContext, isSpanContextValid, trace as otelTrace, type Context as OtelContext } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { childSpan, startTrace } from './span.js';
import type { TraceContext } from './types.js';

/** One store per process: every middleware, logger and carrier of this module reads it. */
const storage = new AsyncLocalStorage<TraceContext>();

/**
 * The trace context of the code running now: ours when a middleware (or {@link withTrace}) set
 * one, else the active OpenTelemetry span's when an OTel SDK runs in the process, else undefined.
 */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore() ?? fromOtel(otelContext.active());
}

/** Runs `fn` with `trace` as the current context; whatever `fn` starts, sync or async, sees it. */
export function withTrace<T>(trace: TraceContext, fn: () => T): T {
  return storage.run(trace, fn);
}

/** Runs `fn` in a child span of the current context (a new trace when there is none). */
export function withChildSpan<T>(fn: () => T): T {
  const parent = currentTrace();
  return storage.run(parent ? childSpan(parent) : startTrace(), fn);
}

/**
 * Makes `trace` current for the rest of this synchronous execution and what it starts. Only for
 * hooks that cannot wrap the code they precede (a middy `before`); prefer {@link withTrace}.
 */
export function enterTrace(trace: TraceContext): void {
  storage.enterWith(trace);
}

/**
 * An OpenTelemetry context whose active span is `trace`: `context.with(toOtelContext(t), fn)`
 * lets OTel instrumentation inside `fn` create its spans as children of ours.
 */
export function toOtelContext(trace: TraceContext, parent: OtelContext = otelContext.active()): OtelContext {
  return otelTrace.setSpanContext(parent, { traceId: trace.traceId, spanId: trace.spanId, traceFlags: trace.traceFlags, isRemote: false });
}

function fromOtel(active: OtelContext): TraceContext | undefined {
  const span = otelTrace.getSpanContext(active);
  if (!span || !isSpanContextValid(span)) return undefined;
  const traceState = span.traceState?.serialize();
  return { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, ...(traceState ? { traceState } : {}) };
}
