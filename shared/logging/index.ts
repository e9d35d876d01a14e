export { SERVICE_DATASET } from './constants.js';
export { createEcsLogger, type EcsLoggerOptions, type Logger } from './ecs-logger.js';
export { createServiceLogger, type ServiceLogger, type ServiceLoggerOptions } from './service-logger.js';
export { microsecondTimestamp, traceLogFields } from './trace-fields.js';
