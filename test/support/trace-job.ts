/**
 * The training job of the tracing end-to-end test, run as `joblogs run -- tsx trace-job.ts <run>`:
 * it continues the trace its launcher passed in TRACEPARENT and logs with the ECS logger, plus one
 * plain line (no logger) that gets its trace from the chunk's metadata.
 */
import { createEcsLogger, microsecondTimestamp } from '../../shared/logging/index.js';
import { traceFromEnv, withTrace } from '../../shared/trace/index.js';

const run = process.argv[2] ?? '?';
const logger = createEcsLogger({ service: 'trainer', dataset: 'mlplatform.job' });

withTrace(traceFromEnv(process.env), () => {
  logger.info({ run }, `job ${run} started`);
  // A plain line as Python's logging prints it: its own time (to the microsecond) and level.
  process.stdout.write(`${microsecondTimestamp(performance.timeOrigin + performance.now())} INFO job ${run} epoch 1 loss=0.31\n`);
  logger.info({ run, loss: 0.31 }, `job ${run} finished`);
});
