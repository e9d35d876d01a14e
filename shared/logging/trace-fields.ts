import type { TraceContext } from '../trace/index.js';

/** ECS fields of a trace context, dotted as ecs-logging writes them (https://www.elastic.co/guide/en/ecs/current/ecs-tracing.html). */
export function traceLogFields(trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return {};
  return {
    'trace.id': trace.traceId,
    'span.id': trace.spanId,
    ...(trace.requestId ? { 'http.request.id': trace.requestId } : {}),
  };
}

/**
 * `@timestamp` with microseconds. Lines of several services are put in causal order by time
 * alone, and a call between two local services takes well under a millisecond; the data
 * stream maps `@timestamp` as `date_nanos`, so the digits are kept.
 */
export function microsecondTimestamp(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  return `${new Date(wholeMs).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}
