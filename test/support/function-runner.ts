/**
 * One of our SQS-triggered functions behind the event-source runner on the local stack: its
 * environment in `process.env` (the AWS SDK clients inside read their endpoint from there), its
 * queues emptied, its log lines kept. Returns everything it set up so the test can stop it.
 */
import type { SqsHandler } from '../../scripts/local/esm-runner.js';
import { mappingOptions, startRunner, type BatchOutcome, type Runner } from '../../scripts/local/esm-runner.js';
import type { LocalFunction } from '../../scripts/local/stack-file.js';
import { jsonLogSink } from './log-sink.js';
import { purgeQueues, type LocalStack } from './stack.js';

export interface FunctionRunner {
  runner: Runner;
  /** Every JSON log line the handler wrote (its per-invocation summaries and failure lines). */
  logs: Array<Record<string, any>>;
  /** Stops the runner and restores `process.env`. */
  stop(): Promise<void>;
}

export interface FunctionRunnerOptions {
  fn: LocalFunction;
  queueUrl: string;
  deadLetterQueueUrl: string;
  env: Record<string, string>;
  /** Builds the handler once the environment is in place; `sink` is for its logger. */
  handler: (env: Record<string, string>, sink: NodeJS.WritableStream) => SqsHandler;
  functionTimeoutS: number;
  onBatch?: ((outcome: BatchOutcome) => void) | undefined;
}

export async function startFunctionRunner(stack: LocalStack, o: FunctionRunnerOptions): Promise<FunctionRunner> {
  const savedEnv = { ...process.env };
  Object.assign(process.env, o.env);
  await purgeQueues({ sqs: stack.sqs, chunkQueueUrl: o.queueUrl, deadLetterQueueUrl: o.deadLetterQueueUrl });
  const { sink, logs } = jsonLogSink();
  const runner = await startRunner({
    queueUrl: o.queueUrl,
    sqsClient: stack.sqs,
    handler: o.handler(o.env, sink),
    ...mappingOptions(o.fn),
    functionTimeoutS: o.functionTimeoutS,
    region: stack.region,
    retryDelayS: 1,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
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
