import type { S3ObjectClient } from '../adapters/s3/object-client.js';
import type { RedactionCounts, ScrubberOptions } from '../core/scrub/index.js';
import type { CadenceReason } from '../core/watch/index.js';
import type { FramingMode, OverflowPolicy } from './constants.js';

export type OutputStream = 'stdout' | 'stderr';

export interface ShipperOptions {
  /** The job the lines belong to (chunk-key rules). */
  jobId: string;
  /** One independent writer inside the job; default `main`. */
  source?: string;
  bucket: string;
  /** Key prefix; default `chunks/` (the one the bucket notification listens on). */
  prefix?: string;
  /** Prefix of the job markers (`<jobPrefix>v1/<jobId>/<source>.json`); default `jobs/`. */
  jobPrefix?: string;
  dataset?: string;
  service?: string;
  /** W3C traceparent put on every chunk. */
  traceparent?: string;
  /** Default: the machine's host name. */
  host?: string;
  containerId?: string;
  /** A chunk is sealed at most this long after its first line while the job is fresh (watched, starting); default 1000. */
  flushIntervalMs?: number;
  /**
   * The same bound while nobody watches the job (docs/shipper.md, "Fresh when watched"); default
   * 30 000. 0, or not longer than `flushIntervalMs`: always fresh, and the watch signal is never read.
   */
  idleFlushIntervalMs?: number;
  /** For this long after {@link Shipper.open} the shipper stays fresh, watched or not; default 60 000. */
  freshStartMs?: number;
  /** How often the watch signal (`<watchPrefix>v1/<jobId>.json`) is read, ±25 %; default 10 000. */
  watchPollIntervalMs?: number;
  /** Default `watch/`. */
  watchPrefix?: string;
  /** Uncompressed bound of a chunk body; default 1 MiB. */
  maxChunkBytes?: number;
  /** Longer lines become continuation frames (`e: ""`); default 256 KiB. */
  maxLineBytes?: number;
  /**
   * Bound of sealed chunks held in memory until they are gzipped and spooled; default 8 MiB.
   * Above it {@link Shipper.blocked} is true and writers should wait (the CLI pauses the job's
   * pipes): a burst faster than gzip slows the job a little instead of growing the heap.
   */
  maxBufferedBytes?: number;
  /** Chunks are written here (under `<jobId>/<source>/`) before upload. */
  spoolDir: string;
  /** Bound of the spool on disk (gzip bytes); default 512 MiB. */
  spoolMaxBytes?: number;
  /** What happens when the spool is full: drop the oldest chunks (default) or make writers wait. */
  overflow?: OverflowPolicy;
  /** zlib level of the chunks, 0–9 (default 1: the fastest; docs/shipper-footprint.md). */
  gzipLevel?: number;
  /**
   * Where lines are framed and gzipped: `inline` (default) on the caller's thread (gzip on the
   * thread pool), or `worker` on a worker thread, so the caller's event loop only copies bytes
   * (what `joblogs run` uses). `worker` needs the TypeScript sources or the `joblogs` bundle.
   */
  framing?: FramingMode;
  /**
   * Secrets replaced by `[REDACTED:<kind>]` before a line is written to the spool: the built-in
   * patterns (AWS keys, JWTs, bearer tokens, private keys, passwords in URLs, provider tokens) and
   * exact `secrets` values (e.g. from `secretsFromEnvironment`). Default: the patterns, no values;
   * `false` turns scrubbing off. What the job prints to its own terminal is never changed.
   */
  redact?: ScrubberOptions | false;
  /**
   * The S3 calls: `new SigV4ObjectClient()` (what the CLI uses: SigV4 over node:https, the SDK's
   * credential chain) or `sdkObjectClient(new S3Client({}))` (`shared/adapters/s3/`).
   */
  s3: S3ObjectClient;
  /** How long {@link Shipper.close} waits for uploads; what is left stays spooled. Default 15 s. */
  closeTimeoutMs?: number;
  /** Per upload attempt; default 30 s. */
  uploadTimeoutMs?: number;
  /** Backoff between upload attempts (full jitter); defaults 200 / 5000 ms. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onEvent?: (event: ShipperEvent) => void;
  /** Multi-line events marked in the frames (docs/shipper.md, "Events"); on by default. */
  multiline?: MultilineOptions;
}

/** How the shipper groups multi-line errors (docs/chunk-contract.md, "Events and progress bars"). */
export interface MultilineOptions {
  /** Default true; false writes no marks (the indexer then recognises events within each chunk). */
  enabled?: boolean;
  /** The job's own rules, like Filebeat's `multiline.pattern`: a line matching `start` starts an event… */
  start?: string;
  /** …and lines matching `continue` continue it (alone: they join the line before them). */
  continue?: string;
  /** Bounds of one event; default 500 lines, 1 MiB. */
  maxLines?: number;
  maxBytes?: number;
  /** How long a chunk due by age may wait for an open event to end; default 2000 ms. */
  holdMs?: number;
  /** An event with no new line for this long is over; default 500 ms. */
  idleMs?: number;
}

export interface ShipperSummary {
  /** Lines (frames) captured by this run. */
  lines: number;
  /** Bytes captured by this run. */
  bytes: number;
  /** Chunks sealed by this run. */
  chunks: number;
  /** Chunks uploaded by this run (including ones resumed from the spool). */
  uploaded: number;
  /** Failed upload attempts. */
  retries: number;
  /** Chunks that had to wait in the spool (an upload attempt failed, or resumed from a previous run). */
  spooled: number;
  /** Lines dropped by this run because the spool was full (`drop-oldest`). */
  dropped: number;
  /** Chunks still in the spool (uploaded by the next run with this job and source). */
  pending: number;
  /** Chunk keys another writer had already used (uploading stopped there; the chunks stay spooled). */
  conflicts: number;
  /** Secrets replaced in this run's chunks, by kind (`aws-access-key-id`, `env:HF_TOKEN`, …). */
  redactions: RedactionCounts;
}

export type ShipperEvent =
  | { type: 'resumed'; chunks: number; nextSeq: number; nextLine: number }
  | { type: 'uploaded'; key: string; seq: number; lines: number; bytes: number; attempts: number; final: boolean }
  | { type: 'upload-failed'; key: string; seq: number; attempt: number; retryInMs: number; error: Error }
  | { type: 'dropped'; key: string; seq: number; lines: number }
  | { type: 'conflict'; key: string; seq: number }
  | { type: 'spool-error'; error: Error }
  /** A file in the spool this shipper did not write (its MAC does not verify): set aside, never uploaded. */
  | { type: 'spool-rejected'; file: string }
  | { type: 'marker-failed'; error: Error }
  /** The flush interval changed: someone started or stopped watching, or the fresh start ended. */
  | { type: 'cadence'; intervalMs: number; reason: CadenceReason }
  /** A read of the watch signal failed; the cadence stays as it was. */
  | { type: 'watch-read-failed'; error: Error };

export interface ExitInfo {
  exitCode?: number;
  signal?: string;
}
