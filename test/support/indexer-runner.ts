/**
 * The real indexer handler behind the SQS event-source runner, on the local stack — what
 * integration tests need to see chunks become documents. Returns everything it set up so the
 * test can stop it; nothing is kept in module state.
 */
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import { mappingOptions, startRunner, type BatchOutcome, type Runner } from '../../scripts/local/esm-runner.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { jsonLogSink } from './log-sink.js';
import { indexerEnv, purgeQueues, type LocalStack } from './stack.js';

export interface IndexerRunner {
  runner: Runner;
  /** Every JSON log line the handler wrote (its per-invocation summaries and failure lines). */
  logs: Array<Record<string, any>>;
  /** Stops the runner and restores `process.env`. */
  stop(): Promise<void>;
}

export interface IndexerRunnerOptions {
  onBatch?: (outcome: BatchOutcome) => void;
  /** Indexer variables on top of the defaults below, e.g. `ES_NODE` of a fault proxy. */
  env?: Record<string, string>;
  /** The emulated function timeout (default 12 s). */
  functionTimeoutS?: number;
}

export async function startIndexerRunner(stack: LocalStack, options: IndexerRunnerOptions = {}): Promise<IndexerRunner> {
  const savedEnv = { ...process.env };
  const env = {
    ...indexerEnv(stack),
    S3_FORCE_PATH_STYLE: 'true',
    RETRY_BASE_MS: '100',
    RETRY_MAX_MS: '1000',
    DEADLINE_HEADROOM_MS: '1000',
    ES_REQUEST_TIMEOUT_MS: '5000',
    ...options.env,
  };
  // The AWS SDK clients inside the handler (S3, and SSM via @middy/ssm) read their endpoint and credentials from here.
  Object.assign(process.env, env);
  await purgeQueues(stack);
  const { sink, logs } = jsonLogSink();
  const fn = stack.info.resources.function;
  const runner = await startRunner({
    queueUrl: stack.chunkQueueUrl,
    sqsClient: stack.sqs,
    handler: createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', sink) }),
    ...mappingOptions(fn),
    // Short enough that an outage test sees a few redeliveries, long enough for real work.
    functionTimeoutS: options.functionTimeoutS ?? 12,
    region: stack.region,
    retryDelayS: 1,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
  return {
    runner,
    logs,
    async stop() {
      await runner.stop();
      process.env = savedEnv;
    },
  };
}
