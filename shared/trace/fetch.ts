import { traceHeaders } from './carriers.js';
import { currentTrace } from './context.js';

/**
 * A `fetch` that sends the current trace context: `traceparent`, `tracestate` and `x-request-id`
 * are added unless the caller set them. Outside any trace it is the plain `fetch`.
 *
 * @example
 * const fetch = tracedFetch();
 * await fetch(`${workerUrl}/jobs`, { method: 'POST', body }); // the worker continues our trace
 */
export function tracedFetch(fetchImpl: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init) => {
    const trace = currentTrace();
    if (!trace) return fetchImpl(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const [name, value] of Object.entries(traceHeaders(trace))) {
      if (!headers.has(name)) headers.set(name, value);
    }
    return fetchImpl(input, { ...init, headers });
  };
}
