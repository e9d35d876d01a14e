import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createJwtVerifier } from '../../shared/adapters/auth/jwt-verifier.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { s3DownloadUrlSigner } from '../../shared/adapters/s3/download-url.js';
import { cachedJobStore } from '../../shared/adapters/s3/cached-job-store.js';
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import { sqsAssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { SignerConfig } from '../../shared/config/signer-config.js';
import { answerMetrics, MetricFunction } from '../../shared/core/ops/index.js';
import { AssemblyThrottle } from './assembly-throttle.js';
import type { SignerDeps } from './deps.js';
import { getJobLogs } from './get-job-logs.js';
import { httpHandler } from '../http/http-handler.js';
import { jsonResponse } from '../http/middlewares.js';
import { parseJobRequest } from '../http/request.js';
import { s3WatchRecorder } from '../http/watch-recorder.js';

/**
 * Builds the handler of `GET /jobs/{jobId}/logs` (HTTP API, payload 2.0) on the stage's one HTTP
 * chain ({@link httpHandler}). Clients, the key set and the assembly throttle are made once per container.
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
    watch: s3WatchRecorder(s3, { bucket: config.logBucket, watch: config.watch, logger }),
    now: Date.now,
    ...overrides,
    logger,
  };

  const lambdaHandler = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = Date.now();
    const { statusCode, body, outcome } = await getJobLogs(parseJobRequest(event), deps);
    logger.info(
      {
        ...outcome,
        statusCode,
        durationMs: Date.now() - started,
        requestId: context.awsRequestId,
        ...answerMetrics(config.stage, MetricFunction.signer, statusCode, Date.now()),
      },
      'signer request done',
    );
    return jsonResponse(statusCode, body);
  };

  return httpHandler({ uiOrigin: config.uiOrigin, logger, name: 'signer', metrics: { stage: config.stage, fn: MetricFunction.signer } }, lambdaHandler);
}
