import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../../shared/adapters/logger.js';
import { s3ArchiveStore } from '../../shared/adapters/s3/archive-store.js';
import { s3ChunkListing } from '../../shared/adapters/s3/chunk-listing.js';
import { s3ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import { s3DeadLetterWriter } from '../../shared/adapters/s3/dead-letter-writer.js';
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import { s3ObjectWriters } from '../../shared/adapters/s3/multipart-writer.js';
import { sqsAssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { AssemblerConfig } from '../../shared/config/assembler-config.js';
import { assemblerMetrics } from '../../shared/core/ops/index.js';
import { traceMiddleware } from '../../shared/trace/index.js';
import { assembleBatch } from './assemble-batch.js';
import type { AssemblerDeps } from './deps.js';

/** The assembler's adapters over one S3 client (made once per container). */
export function assemblerAdapters(
  config: AssemblerConfig,
  s3: S3Client,
): Pick<AssemblerDeps, 'jobs' | 'chunks' | 'listing' | 'downloads' | 'archives' | 'deadLetters'> {
  const bucket = config.logBucket;
  return {
    jobs: s3JobStore(s3, { bucket, jobPrefix: config.jobPrefix, downloadPrefix: config.downloadPrefix }),
    chunks: s3ChunkStore(s3),
    listing: s3ChunkListing(s3, { bucket, chunkPrefix: config.chunkPrefix }),
    downloads: s3ObjectWriters(s3, { bucket, partBytes: config.partBytes }),
    archives: s3ArchiveStore(s3, { bucket, downloadPrefix: config.downloadPrefix }),
    deadLetters: s3DeadLetterWriter(s3, { bucket, prefix: config.deadLetterPrefix }),
  };
}

/** Builds the middy handler; clients are created once per container. */
export function createAssemblerHandler(config: AssemblerConfig, overrides: Partial<AssemblerDeps> = {}) {
  const deps: AssemblerDeps = {
    config,
    ...assemblerAdapters(config, new S3Client({ forcePathStyle: config.s3ForcePathStyle })),
    queue: sqsAssembleQueue(new SQSClient({}), config.assembleQueueUrl),
    logger: createLogger('joblogs-assembler'),
    now: Date.now,
    ...overrides,
  };

  const lambdaHandler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const started = deps.now();
    // Headroom: stop after a part and continue in a new invocation before Lambda's timeout.
    const deadlineAt = started + context.getRemainingTimeInMillis() - config.deadlineHeadroomMs;
    const { response, stats } = await assembleBatch(event, deps, deadlineAt);
    // The invocation's one line is also its metrics (EMF): CloudWatch reads them from it.
    deps.logger.info(
      { ...stats, durationMs: deps.now() - started, requestId: context.awsRequestId, ...assemblerMetrics(config.stage, stats, deps.now()) },
      'assembler batch done',
    );
    return response;
  };
  return middy<SQSEvent, SQSBatchResponse>().use(traceMiddleware()).handler(lambdaHandler);
}
