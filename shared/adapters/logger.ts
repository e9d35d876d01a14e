import { createEcsLogger, type Logger } from '../logging/index.js';

export type { Logger };

/**
 * The pipeline functions' own log: ECS JSON lines on stdout (CloudWatch in Lambda) stamped with
 * the trace of the request or chunk being handled. Never shipped through the pipeline itself:
 * the indexer would index its own lines and log again, forever.
 */
export function createLogger(service: string, destination?: NodeJS.WritableStream): Logger {
  return createEcsLogger({ service, ...(destination ? { destination } : {}) });
}
