import { Writable } from 'node:stream';
import { Shipper } from './shipper.js';
import type { ShipperOptions, ShipperSummary } from './types.js';

/** A Writable that ships what is written to it; `summary` is set once it has finished. */
export interface ShipperDestination extends Writable {
  summary: ShipperSummary | undefined;
}

/**
 * A pino destination (any Writable consumer works): every line written is shipped as `stdout`.
 * The shipper opens in the background; `end()` flushes, writes the final chunk and waits for the
 * uploads (bounded) before `finish`. With `overflow: 'block'` a full spool applies backpressure.
 *
 * @example
 * const destination = shipperDestination({ jobId: 'api-7f9c', source: 'api', bucket, spoolDir, s3, dataset: 'mlplatform.service' });
 * const logger = pino({}, destination);
 * process.on('SIGTERM', () => destination.end(() => process.exit(0)));
 */
export function shipperDestination(options: ShipperOptions): ShipperDestination {
  let shipper: Shipper | undefined;
  const destination = new Writable({
    construct(callback) {
      Shipper.open(options).then(
        (opened) => {
          shipper = opened;
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      shipper!.write('stdout', chunk);
      if (shipper!.blocked) shipper!.waitForRoom().then(() => callback());
      else callback();
    },
    final(callback) {
      shipper!.close({}).then(
        (summary) => {
          destination.summary = summary;
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  }) as ShipperDestination;
  destination.summary = undefined;
  return destination;
}
