import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import ssm from '@middy/ssm';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clusterBulkSender } from '../../shared/adapters/search/bulk-sender.js';
import { clusterTransports } from '../../shared/adapters/search/connect.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { s3ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import { s3DeadLetterWriter } from '../../shared/adapters/s3/dead-letter-writer.js';
import { traceMiddleware } from '../../shared/trace/index.js';
import type { IndexerConfig } from '../../shared/config/indexer-config.js';
import { indexerMetrics } from '../../shared/core/ops/index.js';
import type { IndexerDeps } from './deps.js';
import { indexBatch } from './index-batch.js';

type IndexerContext = Context & { esCredentials?: unknown };

/**
 * Builds the middy handler. The cluster credentials come from SSM (cached, refreshed every 15 min)
 * by `@middy/ssm`, and the transport is rebuilt only when they change; with `CLUSTER_AUTH=iam`
 * requests are signed with the function's role instead (no SSM).
 */
export function createIndexerHandler(config: IndexerConfig, overrides: Partial<IndexerDeps> = {}) {
  const logger = overrides.logger ?? createLogger('joblogs-indexer');
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const chunks = s3ChunkStore(s3);
  const deadLetters = s3DeadLetterWriter(s3, { bucket: config.logBucket, prefix: config.deadLetterPrefix });
  const transportFor = clusterTransports(config.cluster);
  let sender: { transport: unknown; send: IndexerDeps['sendBulk'] } | undefined;

  const sendBulkFor = (credentials: unknown): IndexerDeps['sendBulk'] => {
    const transport = transportFor(credentials);
    if (sender?.transport !== transport) sender = { transport, send: clusterBulkSender(transport) };
    return sender.send;
  };

  const lambdaHandler = async (event: SQSEvent, context: IndexerContext): Promise<SQSBatchResponse> => {
    const started = Date.now();
    const deps: IndexerDeps = {
      config,
      chunks,
      deadLetters,
      sendBulk: sendBulkFor(context.esCredentials),
      logger,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      ...overrides,
    };
    // Keep headroom so unfinished records are handed back before Lambda kills the invocation.
    const deadlineAt = started + context.getRemainingTimeInMillis() - config.deadlineHeadroomMs;
    const { response, stats } = await indexBatch(event, deps, deadlineAt);
    // The invocation's one line is also its metrics (EMF): CloudWatch reads them from it.
    logger.info(
      { ...stats, durationMs: Date.now() - started, requestId: context.awsRequestId, ...indexerMetrics(config.stage, stats, Date.now()) },
      'indexer batch done',
    );
    return response;
  };

  // Each chunk's work runs in the chunk's own trace (indexChunk); this is the invocation's.
  const handler = middy<SQSEvent, SQSBatchResponse, Error, IndexerContext>().use(traceMiddleware());
  if (config.esCredentialsParam) {
    handler.use(
      ssm({
        fetchData: { esCredentials: config.esCredentialsParam },
        setToContext: true,
        cacheExpiry: 15 * 60 * 1000,
        // middy's cache is per process and keyed by this: one entry per parameter, never another handler's credentials.
        cacheKey: `ssm-${config.esCredentialsParam}`,
      }),
    );
  }
  return handler.handler(lambdaHandler);
}
