/**
 * Every failure in joblogs is either **permanent** (the input is bad: retrying cannot help, so the
 * record goes to the dead-letter path with this error's reason, a request gets a 4xx, a command
 * exits 2) or **transient** (the world is briefly broken: retry, and if the invocation runs out of
 * time hand the record back to SQS). Callers decide from `kind`, never from message text or from
 * which subclass it is.
 */
export type FailureKind = 'permanent' | 'transient';

export interface ErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export abstract class JoblogsError extends Error {
  abstract readonly kind: FailureKind;
  /** Stable machine-readable code, e.g. `NOT_GZIP`; shows up in dead-letter reports and logs. */
  abstract readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }

  /** What a dead-letter report records about this failure beyond its code and reason. */
  evidence(): Record<string, unknown> {
    return { details: this.details };
  }
}

export abstract class PermanentError extends JoblogsError {
  readonly kind = 'permanent' as const;
}

export abstract class TransientError extends JoblogsError {
  readonly kind = 'transient' as const;
}

/** A configuration (environment, options, flags) is invalid; `problems` lists every bad key. */
export class ConfigError extends PermanentError {
  readonly code: string = 'BAD_CONFIG';
  readonly problems: string[];
  constructor(message: string, options: { problems: string[]; cause?: unknown }) {
    super(message, { cause: options.cause, details: { problems: options.problems } });
    this.problems = options.problems;
  }
}

export class MalformedMessageError extends PermanentError {
  readonly code = 'MALFORMED_MESSAGE';
}

export class ChunkKeyError extends PermanentError {
  readonly code = 'BAD_CHUNK_KEY';
}

export class ChunkMetadataError extends PermanentError {
  readonly code = 'BAD_CHUNK_METADATA';
}

export class JobMarkerError extends PermanentError {
  readonly code = 'BAD_JOB_MARKER';
}

export class JobRegistrationError extends PermanentError {
  readonly code = 'BAD_JOB_REGISTRATION';
}

/** A watch signal (`watch/v1/<jobId>.json`) that is not one, or a key for an invalid job id. */
export class WatchSignalError extends PermanentError {
  readonly code = 'BAD_WATCH_SIGNAL';
}

/** A chunk inflates to more than the contract allows (a gzip bomb, or a producer that ignores the bound). */
export class ChunkTooLargeError extends PermanentError {
  readonly code = 'CHUNK_TOO_LARGE';
}

/** A `framed-v1` frame is not well formed (docs/chunk-contract.md). */
export class FrameError extends PermanentError {
  readonly code = 'BAD_FRAME';
}

/** A request parameter is malformed, out of range, or not one the route takes (an HTTP 400). */
export class InvalidParameterError extends PermanentError {
  readonly code = 'INVALID_PARAMETER';
}

export class UnexpectedBucketError extends PermanentError {
  readonly code = 'UNEXPECTED_BUCKET';
}

export class NotGzipError extends PermanentError {
  readonly code = 'NOT_GZIP';
}

export class CorruptGzipError extends PermanentError {
  readonly code = 'CORRUPT_GZIP';
}

export class ObjectGoneError extends PermanentError {
  readonly code = 'OBJECT_GONE';
}

export class TooManyLinesError extends PermanentError {
  readonly code = 'TOO_MANY_LINES';
}

/** A document Elasticsearch refused, with its reason: what a dead-letter report shows of it. */
export interface RejectedDocument {
  id: string;
  status: number;
  type: string;
  reason: string;
  document: unknown;
}

/** Some documents of a chunk were rejected by Elasticsearch (mapping/parsing): the rest is indexed. */
export class DocumentsRejectedError extends PermanentError {
  readonly code = 'DOCUMENTS_REJECTED';
  /** The first refused documents (at most what a report keeps); `rejectedCount` is the total. */
  readonly rejected: RejectedDocument[];
  readonly rejectedCount: number;

  constructor(message: string, options: { rejected: RejectedDocument[]; rejectedCount: number }) {
    super(message);
    this.rejected = options.rejected;
    this.rejectedCount = options.rejectedCount;
  }

  override evidence(): Record<string, unknown> {
    return { details: {}, rejectedCount: this.rejectedCount, rejected: this.rejected };
  }
}

export class StorageUnavailableError extends TransientError {
  readonly code = 'STORAGE_UNAVAILABLE';
}

/** A message could not be sent to a queue (SQS throttling, network): the caller retries. */
export class QueueUnavailableError extends TransientError {
  readonly code = 'QUEUE_UNAVAILABLE';
}

export class SearchUnavailableError extends TransientError {
  readonly code = 'SEARCH_UNAVAILABLE';
}

/**
 * A chunk's event continues in a neighbouring chunk (or a chunk's first lines continue the
 * previous one's) and that chunk is not in S3 yet: retried, the neighbour may still come.
 */
export class NeighbourMissingError extends TransientError {
  readonly code = 'NEIGHBOUR_MISSING';
}

/** The neighbour never came within the retries: what the chunk held is indexed, its event without the other part. */
export class NeighbourNeverCameError extends PermanentError {
  readonly code = 'NEIGHBOUR_MISSING';
}

export class DeadlineError extends TransientError {
  readonly code = 'DEADLINE';
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof JoblogsError && error.kind === 'permanent';
}

/** Anything we did not classify is treated as transient: retrying is safe, dropping is not. */
export function isTransient(error: unknown): boolean {
  return !isPermanent(error);
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof JoblogsError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'UNEXPECTED', message: error.message };
  return { code: 'UNEXPECTED', message: String(error) };
}
