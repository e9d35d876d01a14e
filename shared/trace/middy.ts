import type { MiddlewareObj, Request } from '@middy/core';
import { readTraceparent } from '../core/contract/index.js';
import { traceFromS3Metadata, traceResponseHeader } from './carriers.js';
import { TraceHeader } from './constants.js';
import { currentTrace, enterTrace } from './context.js';
import { lambdaTraceSource } from './lambda-event.js';
import { startTrace } from './span.js';
import type { TraceContext } from './types.js';

export interface TraceMiddlewareOptions {
  /** Reads an object's user metadata (e.g. `HeadObject`), for S3-triggered functions; without it they start a new trace. */
  s3Metadata?: (bucket: string, key: string) => Promise<Record<string, string> | undefined>;
}

/**
 * Serves each invocation in its own span: a child of the caller's context from HTTP headers, a
 * single SQS message's attributes or a single S3 object's metadata, else a new trace. An HTTP
 * response gets `traceresponse` and the caller's `x-request-id`.
 *
 * @example
 * export const handler = middy(lambdaHandler).use(traceMiddleware());
 */
export function traceMiddleware(options: TraceMiddlewareOptions = {}): MiddlewareObj {
  // `before` must stay synchronous up to enterTrace(): middy calls the handler in the same
  // async continuation, so the context set here is the handler's (an await first would lose it).
  const traceMiddlewareBefore = (request: Request): Promise<void> | undefined => {
    const source = lambdaTraceSource(request.event);
    if (source.kind === 'http' || source.kind === 'sqs') return void enterTrace(source.trace);
    const trace = startTrace();
    enterTrace(trace);
    if (source.kind !== 's3' || !options.s3Metadata) return undefined;
    // The metadata comes after an await, too late to enter a new context: the entered one is
    // updated in place instead (it belongs to this invocation alone).
    return options.s3Metadata(source.bucket, source.key).then(
      (metadata) => void (readTraceparent(metadata?.['traceparent']) && Object.assign(trace, traceFromS3Metadata(metadata))),
      () => undefined, // no metadata, no parent: the new trace stands
    );
  };

  const traceMiddlewareAfter = (request: Request): void => {
    answerWithTrace(request, currentTrace());
  };

  return { name: 'traceMiddleware', before: traceMiddlewareBefore, after: traceMiddlewareAfter, onError: traceMiddlewareAfter };
}

/** Adds the trace headers to an HTTP response (an object with a `statusCode`); other results are left alone. */
function answerWithTrace(request: Request, trace: TraceContext | undefined): void {
  const response = request.response as { headers?: Record<string, unknown> } | null | undefined;
  if (!trace || typeof response !== 'object' || response === null || !('statusCode' in response)) return;
  response.headers = {
    ...response.headers,
    [TraceHeader.traceresponse]: traceResponseHeader(trace),
    ...(trace.requestId ? { [TraceHeader.requestId]: trace.requestId } : {}),
  };
}
