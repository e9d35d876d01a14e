import { hostname } from 'node:os';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { resolveShipperOptions, shipperDestination, type ShipperOptions, type ShipperSummary } from '../shipper/index.js';
import { SERVICE_DATASET } from './constants.js';
import { createEcsLogger } from './ecs-logger.js';

export interface ServiceLoggerOptions extends Omit<ShipperOptions, 'jobId' | 'source' | 'service' | 'dataset' | 'traceparent'> {
  /** `service.name` and the chunks' source: `api`, `worker`… */
  service: string;
  /** This running instance; its chunks are keyed `chunks/v1/<instance>/<service>/…`. Default `<service>-<host name>`. */
  instance?: string;
  /** Also written here, unchanged; default stdout (CloudWatch, `kubectl logs`). */
  stdout?: DestinationStream | NodeJS.WritableStream;
  level?: Level;
}

export interface ServiceLogger {
  logger: Logger;
  /** Flushes, writes the final chunk and waits (bounded by `closeTimeoutMs`) for the uploads. */
  close(): Promise<ShipperSummary | undefined>;
}

/**
 * The logger of a platform server: ECS JSON lines stamped with the current trace (see
 * {@link createEcsLogger}), written to stdout and shipped through the shipper library into the
 * pipeline as dataset `mlplatform.service`. Bad shipper options throw here, listed, before any
 * line is written.
 *
 * @example
 * const { logger, close } = createServiceLogger({ service: 'api', bucket: 'joblogs-logs-prod', spoolDir: '/var/spool/joblogs', s3: sdkObjectClient(new S3Client({})) });
 * process.on('SIGTERM', () => void close().then(() => process.exit(0)));
 */
export function createServiceLogger(options: ServiceLoggerOptions): ServiceLogger {
  const { service, instance, stdout, level, ...shipping } = options;
  const shipperOptions: ShipperOptions = {
    ...shipping,
    jobId: instance ?? `${service}-${hostname()}`,
    source: service,
    service,
    dataset: SERVICE_DATASET,
  };
  resolveShipperOptions(shipperOptions);
  const shipped = shipperDestination(shipperOptions);
  const streamLevel = level ?? 'info';
  const destination = pino.multistream([
    { level: streamLevel, stream: stdout ?? pino.destination({ dest: 1, sync: true }) },
    { level: streamLevel, stream: shipped },
  ]);
  const logger = createEcsLogger({ service, destination, level: streamLevel });
  return {
    logger,
    close: () =>
      new Promise((resolve, reject) => {
        shipped.once('error', reject);
        shipped.end(() => resolve(shipped.summary));
      }),
  };
}
