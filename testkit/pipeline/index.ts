/** The Lambda side of the local stack: our functions behind the SQS event-source emulator. */
import { fileURLToPath } from 'node:url';

export {
  failedMessageIds,
  mappingOptions,
  startRunner,
  toSqsRecord,
  type BatchOutcome,
  type Runner,
  type RunnerOptions,
  type RunnerStats,
  type SqsHandler,
} from './esm-runner.js';
export {
  quickAssembler,
  quickIndexer,
  startLocalPipeline,
  type LocalFunctionOptions,
  type LocalPipeline,
  type LocalPipelineOptions,
} from './start-local-pipeline.js';

/** `node --import tsx <this>`: the indexer in a process of its own (testkit/pipeline/indexer-process.ts). */
export const INDEXER_PROCESS_SCRIPT = fileURLToPath(new URL('./indexer-process.ts', import.meta.url));
