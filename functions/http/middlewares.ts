import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../../shared/adapters/logger.js';
import { InvalidParameterError, JoblogsError } from '../../shared/core/errors.js';
import { answerMetrics, type MetricFunction } from '../../shared/core/ops/index.js';
import { HttpProblem } from './errors.js';

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>;
type Middleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>;

/** A JSON response; every body of the HTTP functions goes through here. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The generic 500 body (http-error-handler's fallback): internals never leak. */
export const INTERNAL_ERROR_BODY = JSON.stringify({ error: { code: 'INTERNAL', message: 'Something went wrong on our side; try again later' } });

/** Which stage and function an HTTP function's answers are counted for (`Answers`, by status class). */
export interface AnswerMetrics {
  stage: string;
  fn: MetricFunction;
}

/**
 * Turns the signer's own errors into `{ error: { code, message } }`: an {@link HttpProblem}
 * into its status, a transient failure (S3, SQS, the identity provider) into 503 + Retry-After.
 * Anything else is left to http-error-handler (a generic 500).
 */
export function problemResponse(o: { logger: Logger; metrics?: AnswerMetrics }): Middleware {
  const metricsOf = (statusCode: number) => (o.metrics ? answerMetrics(o.metrics.stage, o.metrics.fn, statusCode, Date.now()) : {});
  return {
    onError: async (request: Request) => {
      if (request.response !== undefined) return;
      const error = request.error;
      const requestId = request.context.awsRequestId;
      if (error instanceof HttpProblem || error instanceof InvalidParameterError) {
        const statusCode = error instanceof HttpProblem ? error.statusCode : 400;
        const headers = error instanceof HttpProblem ? error.headers : {};
        o.logger.info({ code: error.code, statusCode, ...error.details, requestId, ...metricsOf(statusCode) }, 'request refused');
        request.response = jsonResponse(statusCode, { error: { code: error.code, message: error.message } }, headers);
      } else if (error instanceof JoblogsError && error.kind === 'transient') {
        o.logger.warn({ code: error.code, error: error.message, statusCode: 503, requestId, ...metricsOf(503) }, 'dependency unavailable');
        request.response = jsonResponse(
          503,
          { error: { code: 'UNAVAILABLE', message: 'A service this API depends on is unavailable; try again shortly' } },
          { 'Retry-After': '5' },
        );
      }
    },
  };
}

/** Signed URLs are credentials: no browser or proxy may keep a response (RFC 9111 §5.2.2.5). */
export function noStore(): Middleware {
  const set = async (request: Request) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, 'Cache-Control': 'no-store' };
  };
  return { after: set, onError: set };
}
