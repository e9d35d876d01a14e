import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createJwtVerifier } from '../../shared/adapters/auth/jwt-verifier.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { s3DownloadUrlSigner } from '../../shared/adapters/s3/download-url.js';
import { cachedJobStore } from '../../shared/adapters/s3/cached-job-store.js';
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import { sqsAssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { SignerConfig } from '../../shared/config/signer-config.js';
import { describeError } from '../../shared/core/errors.js';
import { TraceHeader, traceMiddleware } from '../../shared/trace/index.js';
import { AssemblyThrottle } from './assembly-throttle.js';
import type { SignerDeps } from './deps.js';
import { getJobLogs } from './get-job-logs.js';
import { INTERNAL_ERROR_BODY, jsonResponse, noStore, problemResponse } from '../http/middlewares.js';
import { parseJobRequest } from '../http/request.js';

/**
 * Builds the middy handler for `GET /jobs/{jobId}/logs` (HTTP API, payload 2.0). Clients, the
 * key set and the assembly throttle are made once per container. Each request runs in its
 * caller's trace (or a new one) and answers with `traceresponse`. Middleware order: `after` and
 * `onError` run bottom-up, so our typed errors become JSON first, then the generic 500 fallback,
 * then `Cache-Control`, then CORS headers, then the trace headers, on every answer.
 */
export function createSignerHandler(config: SignerConfig, overrides: Partial<SignerDeps> = {}) {
  const logger = overrides.logger ?? createLogger('joblogs-signer');
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const deps: SignerDeps = {
    config,
    verifyToken: createJwtVerifier({ issuer: config.jwt.issuer, audience: config.jwt.audience, jwksUrl: config.jwt.jwksUrl }),
    // A finished job's markers and complete file are reused for 30 s: a UI polling it costs no S3 request.
    jobs: cachedJobStore(s3JobStore(s3, { bucket: config.logBucket, jobPrefix: config.jobPrefix, downloadPrefix: config.downloadPrefix }), {
      ttlMs: 30_000,
      maxJobs: 1000,
      now: Date.now,
    }),
    urls: s3DownloadUrlSigner(s3, { bucket: config.logBucket }),
    assembly: sqsAssembleQueue(new SQSClient({}), config.assembleQueueUrl),
    throttle: new AssemblyThrottle(),
    now: Date.now,
    ...overrides,
    logger,
  };

  const lambdaHandler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = Date.now();
    const { statusCode, body, outcome } = await getJobLogs(parseJobRequest(event), deps);
    logger.info({ ...outcome, statusCode, durationMs: Date.now() - started, requestId: context.awsRequestId }, 'signer request done');
    return jsonResponse(statusCode, body);
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(traceMiddleware())
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        // The HTTP API's own CORS configuration (serverless.yml, provider.httpApi.cors) is the
        // same policy; it answers preflights in AWS, this one locally and on direct invocation.
        origins: [config.uiOrigin],
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
    .use(httpErrorHandler({ fallbackMessage: INTERNAL_ERROR_BODY, logger: (error: unknown) => logger.error({ error: describeError(error) }, 'signer failed') }))
    .use(problemResponse({ logger }))
    .handler(lambdaHandler);
}
