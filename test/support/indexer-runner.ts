/**
 * The real indexer handler behind the SQS event-source runner, on the local stack — what
 * integration tests need to see chunks become documents.
 */
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import type { BatchOutcome } from '../../scripts/local/esm-runner.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { startFunctionRunner, type FunctionRunner } from './function-runner.js';
import { indexerEnv, type LocalStack } from './stack.js';

export type IndexerRunner = FunctionRunner;

export interface IndexerRunnerOptions {
  onBatch?: (outcome: BatchOutcome) => void;
  /** Indexer variables on top of the defaults below, e.g. `ES_NODE` of a fault proxy. */
  env?: Record<string, string>;
  /** The emulated function timeout (default 12 s: an outage test sees a few redeliveries, real work fits). */
  functionTimeoutS?: number;
}

export function startIndexerRunner(stack: LocalStack, options: IndexerRunnerOptions = {}): Promise<IndexerRunner> {
  return startFunctionRunner(stack, {
    fn: stack.info.resources.function,
    queueUrl: stack.chunkQueueUrl,
    deadLetterQueueUrl: stack.deadLetterQueueUrl,
    env: {
      ...indexerEnv(stack),
      S3_FORCE_PATH_STYLE: 'true',
      RETRY_BASE_MS: '100',
      RETRY_MAX_MS: '1000',
      DEADLINE_HEADROOM_MS: '1000',
      ES_REQUEST_TIMEOUT_MS: '5000',
      ...options.env,
    },
    handler: (env, sink) => createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', sink) }),
    functionTimeoutS: options.functionTimeoutS ?? 12,
    onBatch: options.onBatch,
  });
}
