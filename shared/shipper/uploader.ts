import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../core/batch/index.js';
import { chunkKey } from '../core/contract/index.js';
import { UploadError } from './errors.js';
import type { Spool, SpoolEntry } from './spool.js';
import type { ShipperEvent } from './types.js';

export interface UploaderOptions {
  s3: S3Client;
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

/**
 * Drains a {@link Spool} to S3 strictly in seq order, one chunk at a time, retrying each with
 * full-jitter backoff until it is uploaded or the uploader is stopped. Never on the write path.
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
      await this.#spool.remove(entry).catch((error: Error) => this.#options.onEvent({ type: 'spool-error', error }));
      this.#options.onUploaded(entry, attempts);
    }
  }

  /** Number of attempts it took, or undefined when stopped first. */
  async #uploadWithRetries(entry: SpoolEntry, signal: AbortSignal): Promise<number | undefined> {
    const o = this.#options;
    const key = this.keyOf(entry);
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        const body = await this.#spool.readBody(entry);
        await o.s3.send(
          new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: body, ContentType: 'application/gzip', Metadata: entry.metadata }),
          { abortSignal: AbortSignal.any([signal, AbortSignal.timeout(o.uploadTimeoutMs)]) },
        );
        return attempt;
      } catch (cause) {
        if (signal.aborted) return undefined;
        if (attempt === 1) o.onRetry(entry);
        const retryInMs = backoffDelay(attempt - 1, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs });
        o.onEvent({ type: 'upload-failed', key, seq: entry.seq, attempt, retryInMs, error: new UploadError(key, { cause }) });
        await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
