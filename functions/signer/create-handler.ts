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
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import { sqsAssemblyQueue } from '../../shared/adapters/sqs/assembly-queue.js';
import type { SignerConfig } from '../../shared/config/signer-config.js';
import { describeError } from '../../shared/core/errors.js';
import { AssemblyThrottle } from './assembly-throttle.js';
import type { SignerDeps } from './deps.js';
import { getJobLogs } from './get-job-logs.js';
import { INTERNAL_ERROR_BODY, jsonResponse, noStore, problemResponse } from './middlewares.js';
import { parseLogsRequest } from './request.js';

/**
 * Builds the middy handler for `GET /jobs/{jobId}/logs` (HTTP API, payload 2.0). Clients, the
 * key set and the assembly throttle are made once per container. Middleware order: `after` and
 * `onError` run bottom-up, so our typed errors become JSON first, then the generic 500 fallback,
 * then `Cache-Control`, then CORS headers on every answer.
 */
export function createSignerHandler(config: SignerConfig, overrides: Partial<SignerDeps> = {}) {
  const logger = overrides.logger ?? createLogger('joblogs-signer');
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const deps: SignerDeps = {
    config,
    verifyToken: createJwtVerifier({ issuer: config.jwt.issuer, audience: config.jwt.audience, jwksUrl: config.jwt.jwksUrl }),
    jobs: s3JobStore(s3, { bucket: config.logBucket, jobPrefix: config.jobPrefix, downloadPrefix: config.downloadPrefix }),
    urls: s3DownloadUrlSigner(s3, { bucket: config.logBucket }),
    assembly: sqsAssemblyQueue(new SQSClient({}), { queueUrl: config.assembleQueueUrl }),
    throttle: new AssemblyThrottle(),
    now: Date.now,
    ...overrides,
    logger,
  };

  const lambdaHandler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = Date.now();
    const { statusCode, body, outcome } = await getJobLogs(parseLogsRequest(event), deps);
    logger.info({ ...outcome, statusCode, durationMs: Date.now() - started, requestId: context.awsRequestId }, 'signer request done');
    return jsonResponse(statusCode, body);
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        origins: [config.uiOrigin],
        methods: 'GET,OPTIONS',
        headers: 'Authorization,Content-Type',
        maxAge: 600,
        // Answer preflights here (locally there is no gateway in front to do it).
        disableBeforePreflightResponse: false,
      }),
    )
    .use(noStore())
    .use(httpErrorHandler({ fallbackMessage: INTERNAL_ERROR_BODY, logger: (error: unknown) => logger.error({ error: describeError(error) }, 'signer failed') }))
    .use(problemResponse({ logger }))
    .handler(lambdaHandler);
}
