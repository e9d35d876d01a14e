import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { createAssemblerHandler } from './create-handler.js';

/** Lambda entry point: job markers / assembler requests (SQS) → `downloads/<jobId>.log.gz`. Config is validated at cold start. */
export const handler = createAssemblerHandler(loadAssemblerConfig());
