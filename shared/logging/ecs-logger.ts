import { ecsFormat } from '@elastic/ecs-pino-format';
import { performance } from 'node:perf_hooks';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { currentTrace } from '../trace/index.js';
import { SERVICE_DATASET } from './constants.js';
import { microsecondTimestamp, traceLogFields } from './trace-fields.js';

export type { Logger };

export interface EcsLoggerOptions {
  /** `service.name` of every line. */
  service: string;
  /** Where lines go; default stdout (CloudWatch in Lambda). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Default `info`. */
  level?: Level;
  /** `event.dataset` of every line; default `mlplatform.service`. */
  dataset?: string;
}

/**
 * ECS JSON lines (pino + Elastic's ecs-pino-format) stamped with `trace.id`, `span.id` and
 * `http.request.id` of the current trace context, read at each call: one logger serves every
 * request, each line carries the trace of the request that wrote it.
 *
 * @example
 * const logger = createEcsLogger({ service: 'signer' });
 * logger.info({ key }, 'url signed'); // {"log.level":"info","@timestamp":…,"service.name":"signer","trace.id":…,"message":"url signed",…}
 */
export function createEcsLogger(options: EcsLoggerOptions): Logger {
  const ecs = ecsFormat({
    serviceName: options.service,
    eventDataset: options.dataset ?? SERVICE_DATASET,
    // No Elastic APM agent: the trace comes from our context (or OpenTelemetry's), below.
    apmIntegration: false,
    convertErr: true,
  });
  const pinoOptions = {
    ...ecs,
    level: options.level ?? 'info',
    // The wall clock at process start plus the monotonic clock: microseconds that never go backwards.
    timestamp: () => `,"@timestamp":"${microsecondTimestamp(performance.timeOrigin + performance.now())}"`,
    mixin: () => traceLogFields(currentTrace()),
  };
  return options.destination ? pino(pinoOptions, options.destination as DestinationStream) : pino(pinoOptions);
}
