export { MAX_REQUEST_ID_LENGTH, TRACESTATE_MAX_MEMBERS, TraceAttribute, TraceEnv, TraceFlag, TraceHeader } from './constants.js';
export type { RandomBytes, TraceCarrierValues, TraceContext } from './types.js';
export { childSpan, continueTrace, normalizeRequestId, normalizeTraceState, startTrace } from './span.js';
export { currentTrace, enterTrace, toOtelContext, withChildSpan, withTrace } from './context.js';
export {
  jobTraceEnv,
  s3TraceMetadata,
  sqsTraceAttributes,
  traceFromEnv,
  traceFromHeaders,
  traceFromS3Metadata,
  traceFromSqsMessage,
  traceHeaders,
  traceResponseHeader,
} from './carriers.js';
export { tracedFetch } from './fetch.js';
export { traceRequests, tracedListener, type NextFunction } from './http.js';
export { lambdaTraceSource, type LambdaTraceSource } from './lambda-event.js';
export { traceMiddleware, type TraceMiddlewareOptions } from './middy.js';
