/**
 * The indexer behind the SQS runner in a process of its own, so a test can SIGKILL it mid-batch
 * as Lambda's sandbox can die. Prints one JSON line per event on stdout: `{"ready":true}`, then
 * `{"received":[receiptHandle…]}` before each invocation (a killed batch's messages stay
 * in flight, and the test needs their handles to make them visible again, as the visibility
 * timeout would), then the handler's own log lines.
 *
 *   JOBLOGS_CHILD_ENV='{"ES_NODE":"http://127.0.0.1:…"}' tsx test/support/indexer-child.ts
 */
import type { SQSEvent } from 'aws-lambda';
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import { startRunner } from '../../scripts/local/esm-runner.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { indexerEnv, loadStack } from './stack.js';

const stack = loadStack();
const env = { ...indexerEnv(stack), S3_FORCE_PATH_STYLE: 'true', ...(JSON.parse(process.env['JOBLOGS_CHILD_ENV'] ?? '{}') as Record<string, string>) };
Object.assign(process.env, env);
const handler = createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', process.stdout) });
const fn = stack.info.resources.function;
await startRunner({
  queueUrl: stack.chunkQueueUrl,
  sqsClient: stack.sqs,
  handler: async (event: SQSEvent, context) => {
    process.stdout.write(`${JSON.stringify({ received: event.Records.map((r) => r.receiptHandle) })}\n`);
    return handler(event, context);
  },
  batchSize: fn.batchSize,
  batchingWindowS: fn.batchingWindowS,
  functionTimeoutS: 60,
  reportBatchItemFailures: fn.reportBatchItemFailures,
  functionName: fn.functionName,
  region: stack.region,
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
