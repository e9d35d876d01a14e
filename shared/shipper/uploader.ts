import { createHash } from 'node:crypto';
import { isPreconditionFailed, type S3ObjectClient } from '../adapters/s3/object-client.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../core/batch/index.js';
import { chunkKey } from '../core/contract/index.js';
import { UploadError } from './errors.js';
import type { Spool, SpoolEntry } from './spool.js';
import type { ShipperEvent } from './types.js';

export interface UploaderOptions {
  s3: S3ObjectClient;
  bucket: string;
  prefix: string;
  jobId: string;
  source: string;
  uploadTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  onEvent: (event: ShipperEvent) => void;
  /** Called after each chunk leaves the spool (uploaded). */
  onUploaded: (entry: SpoolEntry, attempts: number) => void;
  /** Called once per chunk whose first attempt failed. */
  onRetry: (entry: SpoolEntry) => void;
}

/** The metadata a chunk carries so that a retry can recognise its own earlier upload. */
export const CONTENT_SHA256 = 'content-sha256';

/**
 * Drains a {@link Spool} to S3 strictly in seq order, one chunk at a time, retrying each with
 * full-jitter backoff until it is uploaded or the uploader is stopped. Never on the write path.
 *
 * Chunks are write-once (`If-None-Match: *`): a chunk key that exists answers 412. If the object
 * there is this very chunk (`content-sha256` equal: an earlier attempt whose answer was lost, or
 * a resumed spool) the upload counts as done; anything else is a **conflict** — another writer
 * used this job, source and seq — and the uploader stops, leaving the chunk and everything after
 * it in the spool (reported, never dropped).
 */
export class Uploader {
  readonly #spool: Spool;
  readonly #options: UploaderOptions;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #finishing = false;
  #running: Promise<void> | undefined;
  /** The entry being uploaded: it must not be dropped under the uploader's feet. */
  inFlight: SpoolEntry | undefined;

  constructor(spool: Spool, options: UploaderOptions) {
    this.#spool = spool;
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** New work is in the spool. */
  notify(): void {
    this.#wake?.();
  }

  /** Resolves when the spool is empty (after {@link finish}) or the uploader is stopped. */
  finish(): Promise<void> {
    this.#finishing = true;
    this.notify();
    return this.#running ?? Promise.resolve();
  }

  /** Stops at once: the in-flight attempt is aborted and everything stays spooled. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.notify();
    await this.#running;
  }

  keyOf(entry: Pick<SpoolEntry, 'seq'>): string {
    const o = this.#options;
    return chunkKey({ jobId: o.jobId, source: o.source, seq: entry.seq }, o.prefix);
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const entry = this.#spool.oldest();
      if (!entry) {
        if (this.#finishing) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      this.inFlight = entry;
      const attempts = await this.#uploadWithRetries(entry, signal);
      this.inFlight = undefined;
      if (attempts === undefined) return;
      if (attempts === 'conflict') {
        this.#options.onEvent({ type: 'conflict', key: this.keyOf(entry), seq: entry.seq });
        return;
      }
      await this.#spool.remove(entry).catch((error: Error) => this.#options.onEvent({ type: 'spool-error', error }));
      this.#options.onUploaded(entry, attempts);
    }
  }

  /** Number of attempts it took, `conflict` when another object holds the key, or undefined when stopped first. */
  async #uploadWithRetries(entry: SpoolEntry, signal: AbortSignal): Promise<number | 'conflict' | undefined> {
    const o = this.#options;
    const key = this.keyOf(entry);
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        return (await this.#put(key, entry, signal)) ? attempt : 'conflict';
      } catch (cause) {
        if (signal.aborted) return undefined;
        if (attempt === 1) o.onRetry(entry);
        const retryInMs = backoffDelay(attempt - 1, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs });
        o.onEvent({ type: 'upload-failed', key, seq: entry.seq, attempt, retryInMs, error: new UploadError(key, { cause }) });
        await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** True when the chunk is in S3 (now, or already from an earlier attempt); false on a conflict. */
  async #put(key: string, entry: SpoolEntry, signal: AbortSignal): Promise<boolean> {
    const o = this.#options;
    const body = await this.#spool.readBody(entry);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const abortSignal = AbortSignal.any([signal, AbortSignal.timeout(o.uploadTimeoutMs)]);
    try {
      const metadata = { ...entry.metadata, [CONTENT_SHA256]: sha256 };
      await o.s3.putObject({ bucket: o.bucket, key, body, contentType: 'application/gzip', metadata, ifNoneMatch: '*' }, { signal: abortSignal });
      return true;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const there = await o.s3.headObject({ bucket: o.bucket, key }, { signal: abortSignal });
      return there.metadata[CONTENT_SHA256] === sha256;
    }
  }
}
