import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../../shared/adapters/logger.js';
import { describeError } from '../../shared/core/errors.js';
import { answerMetrics } from '../../shared/core/ops/index.js';
import { TraceHeader, traceMiddleware } from '../../shared/trace/index.js';
import { INTERNAL_ERROR_BODY, noStore, problemResponse, type AnswerMetrics } from './middlewares.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/**
 * The middy chain every HTTP function of the stage uses (the signer, the logs API): each request
 * runs in its caller's trace (or a new one) and answers with `traceresponse`. Middleware order:
 * `after` and `onError` run bottom-up, so our typed errors become JSON first, then the generic 500
 * fallback, then `Cache-Control: no-store`, then CORS headers, then the trace headers — on every answer.
 *
 * Every answer's one log line — the handler's own for a 2xx, the refusal's here for a 4xx/5xx —
 * carries the `Answers` metric by status class (EMF) when `metrics` names the stage and function.
 *
 * @example
 * export const handler = httpHandler({ uiOrigin, logger, name: 'signer' }, async (event, context) => jsonResponse(200, { ok: true }));
 */
export function httpHandler(
  o: { uiOrigin: string; logger: Logger; name: string; metrics?: AnswerMetrics },
  handle: (event: HttpEvent, context: Context) => Promise<HttpResult>,
) {
  const metricsOf = (statusCode: number) => (o.metrics ? answerMetrics(o.metrics.stage, o.metrics.fn, statusCode, Date.now()) : {});
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use(traceMiddleware())
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        // The HTTP API's own CORS configuration (serverless.yml, provider.httpApi.cors) is the
        // same policy; it answers preflights in AWS, this one locally and on direct invocation.
        origins: [o.uiOrigin],
        methods: 'GET',
        headers: 'Authorization',
        requestMethods: ['GET'],
        requestHeaders: ['authorization'],
        // The UI links a request to its trace (docs/tracing.md) only if it may read these.
        exposeHeaders: `${TraceHeader.traceresponse}, ${TraceHeader.requestId}`,
        maxAge: 600,
        disableBeforePreflightResponse: false,
      }),
    )
    .use(noStore())
    .use(
      httpErrorHandler({
        fallbackMessage: INTERNAL_ERROR_BODY,
        logger: (error: unknown) => o.logger.error({ error: describeError(error), ...metricsOf(statusOfUnhandled(error)) }, `${o.name} failed`),
      }),
    )
    .use(problemResponse({ logger: o.logger, ...(o.metrics ? { metrics: o.metrics } : {}) }))
    .handler(handle);
}

/** The status http-error-handler answers an error it handles with: its own when it may be shown (an http-errors 4xx), else 500. */
function statusOfUnhandled(error: unknown): number {
  const e = error as { statusCode?: unknown; expose?: unknown } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && (e?.expose ?? status < 500) ? status : 500;
}
