import { ConfigError, PermanentError, TransientError } from '../core/errors.js';

/** The options object is invalid; `problems` lists every bad field. */
export class ShipperOptionsError extends ConfigError {
  override readonly code = 'BAD_SHIPPER_OPTIONS';
  constructor(problems: string[]) {
    super(`Invalid shipper options: ${problems.join('; ')}`, { problems });
  }
}

/** The spool directory cannot be used (created, read or written): the shipper cannot start on it. */
export class SpoolError extends PermanentError {
  readonly code: string = 'SPOOL_UNUSABLE';
}

/** Another shipper (alive) holds the spool directory of this job and source. */
export class SpoolLockedError extends SpoolError {
  override readonly code = 'SPOOL_LOCKED';
  readonly holder: { pid: number; host: string } | undefined;
  constructor(dir: string, holder: { pid: number; host: string } | undefined) {
    super(
      `Spool directory ${dir} is in use by another joblogs shipper${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}: two shippers must not share a job, source and spool directory`,
    );
    this.holder = holder;
  }
}

/** One upload attempt failed; the uploader retries it. */
export class UploadError extends TransientError {
  readonly code = 'UPLOAD_FAILED';
  readonly key: string;
  constructor(key: string, options: { cause: unknown }) {
    super(`Upload of ${key} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.key = key;
  }
}

/** The framing worker failed or died: the shipper cannot frame more output. */
export class FramingError extends PermanentError {
  readonly code = 'FRAMING_FAILED';
}

/** The watch signal could not be read (network, permissions, a body that is not a signal): the cadence stays as it was. */
export class WatchReadError extends TransientError {
  readonly code = 'WATCH_READ_FAILED';
}
