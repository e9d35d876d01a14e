/**
 * The real assembler handler behind the SQS event-source runner on the local stack's assemble
 * queue — what integration tests need to see job markers become download files.
 */
import { createAssemblerHandler } from '../../functions/assembler/create-handler.js';
import { mappingOptions, startRunner, type BatchOutcome, type Runner } from '../../scripts/local/esm-runner.js';
import { awsLocalEnv } from '../../scripts/local/stack-file.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { jsonLogSink } from './log-sink.js';
import { purgeQueues, type LocalStack } from './stack.js';

export interface AssemblerRunner {
  runner: Runner;
  logs: Array<Record<string, any>>;
  stop(): Promise<void>;
}

export interface AssemblerRunnerOptions {
  /** Overrides of the template's environment (e.g. GAP_WAIT_SECONDS, DEADLINE_HEADROOM_MS). */
  env?: Record<string, string>;
  functionTimeoutS?: number;
  onBatch?: (outcome: BatchOutcome) => void;
}

export async function startAssemblerRunner(stack: LocalStack, options: AssemblerRunnerOptions = {}): Promise<AssemblerRunner> {
  const savedEnv = { ...process.env };
  const fn = stack.info.resources.assembler;
  const env = { ...fn.environment, ...awsLocalEnv(stack.info), AWS_LAMBDA_FUNCTION_NAME: fn.functionName, S3_FORCE_PATH_STYLE: 'true', ...options.env };
  Object.assign(process.env, env);
  await purgeQueues({ sqs: stack.sqs, chunkQueueUrl: fn.queueUrl, deadLetterQueueUrl: fn.deadLetterQueueUrl });
  const { sink, logs } = jsonLogSink();
  const runner = await startRunner({
    queueUrl: fn.queueUrl,
    sqsClient: stack.sqs,
    handler: createAssemblerHandler(loadAssemblerConfig(env), { logger: createLogger('joblogs-assembler', sink) }),
    ...mappingOptions(fn),
    functionTimeoutS: options.functionTimeoutS ?? 60,
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
