import { setTimeout as sleep } from 'node:timers/promises';
import { isPreconditionFailed, type S3ObjectClient } from '../adapters/s3/object-client.js';
import { backoffDelay } from '../core/batch/index.js';
import { jobMarkerKey, JobStatus, type JobMarker } from '../core/contract/index.js';

export interface JobMarkerOptions {
  s3: S3ObjectClient;
  bucket: string;
  jobPrefix: string;
  jobId: string;
  source: string;
  traceparent?: string | undefined;
  dataset?: string | undefined;
  producer: string;
  uploadTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  onError: (error: Error) => void;
}

/**
 * Writes this source's job markers (docs/chunk-contract.md, "Job markers"): `running.json` when the
 * shipper starts, `final.json` once the final chunk is in S3 — from that chunk's metadata, so a
 * final chunk resumed from the spool by a later run still finishes the job. Each is written once
 * (`If-None-Match: *`): a marker that is already there (a restarted shipper, a retry whose answer
 * was lost) is left as it is. Writes are serialised and retried with backoff until {@link stop}.
 */
export class JobMarkers {
  readonly #o: JobMarkerOptions;
  readonly #startedAt = new Date().toISOString();
  readonly #abort = new AbortController();
  #chain: Promise<void> = Promise.resolve();
  #finalQueued = false;

  constructor(options: JobMarkerOptions) {
    this.#o = options;
  }

  running(): void {
    this.#enqueue(() => (this.#finalQueued ? undefined : this.#marker(JobStatus.running)));
  }

  /** The final chunk (seq `lastSeq`, with its metadata) is uploaded. */
  final(lastSeq: number, chunkMetadata: Record<string, string>): void {
    this.#finalQueued = true;
    const count = (name: string) => (/^\d+$/.test(chunkMetadata[name] ?? '') ? Number(chunkMetadata[name]) : undefined);
    const exitCode = chunkMetadata['exit-code'] !== undefined && /^-?\d+$/.test(chunkMetadata['exit-code']) ? Number(chunkMetadata['exit-code']) : undefined;
    this.#enqueue(() => ({
      ...this.#marker(JobStatus.final),
      endedAt: new Date().toISOString(),
      lastSeq,
      lineCount: count('line-count') ?? 0,
      droppedLines: count('dropped-lines') ?? 0,
      ...(count('redactions') !== undefined ? { redactions: count('redactions') } : {}),
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(chunkMetadata['signal'] ? { signal: chunkMetadata['signal'] } : {}),
    }));
  }

  /** Resolves when every queued marker is written (or {@link stop} gave up on it). */
  settled(): Promise<void> {
    return this.#chain;
  }

  stop(): void {
    this.#abort.abort();
  }

  #marker(status: JobStatus): JobMarker {
    const o = this.#o;
    const m: JobMarker = { version: 1, jobId: o.jobId, source: o.source, status, producer: o.producer, startedAt: this.#startedAt };
    if (o.traceparent) m.traceparent = o.traceparent;
    if (o.dataset) m.dataset = o.dataset;
    return m;
  }

  #enqueue(build: () => JobMarker | undefined): void {
    this.#chain = this.#chain.then(async () => {
      const marker = build();
      if (marker) await this.#put(marker);
    });
  }

  async #put(marker: JobMarker): Promise<void> {
    const o = this.#o;
    const signal = this.#abort.signal;
    const key = jobMarkerKey(o.jobId, o.source, marker.status, o.jobPrefix);
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await o.s3.putObject(
          { bucket: o.bucket, key, body: JSON.stringify(marker), contentType: 'application/json', ifNoneMatch: '*' },
          { signal: AbortSignal.any([signal, AbortSignal.timeout(o.uploadTimeoutMs)]) },
        );
        return;
      } catch (error) {
        if (signal.aborted || isPreconditionFailed(error)) return;
        o.onError(error as Error);
        await sleep(backoffDelay(attempt, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs }), undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
