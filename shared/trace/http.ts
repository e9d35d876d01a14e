import type { IncomingMessage, ServerResponse } from 'node:http';
import { traceFromHeaders, traceResponseHeader } from './carriers.js';
import { TraceHeader } from './constants.js';
import { withTrace } from './context.js';

export type NextFunction = (error?: unknown) => void;

/**
 * Connect-style middleware for Node HTTP servers (express, connect, or fastify through
 * `request.raw`/`reply.raw`): serves each request in its own span, a child of the caller's
 * `traceparent` or a new trace; answers with `traceresponse` (the trace id to link to) and
 * echoes an `x-request-id`. Everything the request's
 * handlers do after `next()` — awaits, timers, outbound calls, log lines — sees that span.
 *
 * @example
 * app.use(traceRequests());                                                                  // express
 * fastify.addHook('onRequest', (request, reply, done) => traceRequests()(request.raw, reply.raw, done)); // fastify
 */
export function traceRequests(): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  return (req, res, next) => {
    const trace = traceFromHeaders(req.headers);
    res.setHeader(TraceHeader.traceresponse, traceResponseHeader(trace));
    if (trace.requestId) res.setHeader(TraceHeader.requestId, trace.requestId);
    withTrace(trace, () => next());
  };
}

/**
 * A plain `http.createServer` listener served in a span per request, like {@link traceRequests}.
 *
 * @example
 * http.createServer(tracedListener(async (req, res) => { logger.info('train requested'); … }));
 */
export function tracedListener(listener: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => void {
  const middleware = traceRequests();
  return (req, res) => middleware(req, res, () => void listener(req, res));
}
