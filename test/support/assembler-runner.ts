/**
 * The real assembler handler behind the SQS event-source runner on the local stack's assemble
 * queue — what integration tests need to see job markers become download files.
 */
import { createAssemblerHandler } from '../../functions/assembler/create-handler.js';
import type { BatchOutcome } from '../../scripts/local/esm-runner.js';
import { awsLocalEnv } from '../../scripts/local/stack-file.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { startFunctionRunner, type FunctionRunner } from './function-runner.js';
import type { LocalStack } from './stack.js';

export type AssemblerRunner = FunctionRunner;

export interface AssemblerRunnerOptions {
  /** Overrides of the template's environment (e.g. GAP_WAIT_SECONDS, DEADLINE_HEADROOM_MS). */
  env?: Record<string, string>;
  functionTimeoutS?: number;
  onBatch?: (outcome: BatchOutcome) => void;
}

export function startAssemblerRunner(stack: LocalStack, options: AssemblerRunnerOptions = {}): Promise<AssemblerRunner> {
  const fn = stack.info.resources.assembler;
  return startFunctionRunner(stack, {
    fn,
    queueUrl: fn.queueUrl,
    deadLetterQueueUrl: fn.deadLetterQueueUrl,
    env: { ...fn.environment, ...awsLocalEnv(stack.info), AWS_LAMBDA_FUNCTION_NAME: fn.functionName, S3_FORCE_PATH_STYLE: 'true', ...options.env },
    handler: (env, sink) => createAssemblerHandler(loadAssemblerConfig(env), { logger: createLogger('joblogs-assembler', sink) }),
    functionTimeoutS: options.functionTimeoutS ?? 60,
    onBatch: options.onBatch,
  });
}
