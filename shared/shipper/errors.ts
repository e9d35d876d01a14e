/** Every shipper error names what went wrong and keeps the low-level `cause`. */
export class ShipperError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The options object is invalid; `problems` lists every bad field. */
export class ShipperOptionsError extends ShipperError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid shipper options: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** The spool directory cannot be used (created, read or written). */
export class SpoolError extends ShipperError {}

/** Another shipper (alive) holds the spool directory of this job and source. */
export class SpoolLockedError extends SpoolError {
  readonly holder: { pid: number; host: string } | undefined;
  constructor(dir: string, holder: { pid: number; host: string } | undefined) {
    super(`Spool directory ${dir} is in use by another joblogs shipper${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}: two shippers must not share a job, source and spool directory`);
    this.holder = holder;
  }
}

/** One upload attempt failed; the uploader retries it. */
export class UploadError extends ShipperError {
  readonly key: string;
  constructor(key: string, options: { cause: unknown }) {
    super(`Upload of ${key} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.key = key;
  }
}
