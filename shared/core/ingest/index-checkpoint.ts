import { createHash } from 'node:crypto';

/**
 * How far the indexer got with a chunk when an invocation had to stop (the deadline, Elasticsearch
 * down): every line position below `position` is indexed (or was already there). A redelivery
 * starts there instead of at line 0, so a chunk too big for one invocation still finishes. Only
 * an optimisation of the work, never of correctness: without it (lost, unreadable, another ETag)
 * the chunk is read from the start, and `create` with deterministic ids keeps it exactly once.
 */
export interface IndexCheckpoint {
  version: 1;
  bucket: string;
  key: string;
  /** The chunk object's ETag: a checkpoint of another version of the key does not apply. */
  etag: string;
  position: number;
  at: string;
}

export function checkpointKey(prefix: string, bucket: string, key: string): string {
  const hash = createHash('sha256').update(bucket).update('\0').update(key).digest('base64url').slice(0, 43);
  return `${prefix}${hash}.json`;
}

export function parseCheckpoint(text: string, expected: { bucket: string; key: string; etag: string | undefined }): IndexCheckpoint | undefined {
  try {
    const value = JSON.parse(text) as Partial<IndexCheckpoint>;
    if (value.version !== 1 || value.bucket !== expected.bucket || value.key !== expected.key) return undefined;
    if (!expected.etag || value.etag !== expected.etag) return undefined;
    if (typeof value.position !== 'number' || !Number.isSafeInteger(value.position) || value.position < 0) return undefined;
    return value as IndexCheckpoint;
  } catch {
    return undefined;
  }
}

/**
 * The contiguous prefix of line positions whose bulk batches all completed cleanly. Batches are
 * sent a few at a time and finish in any order; a batch with rejected documents never counts as
 * clean, so a resumed run sends it again and reports the rejections itself.
 */
export class ConfirmedPrefix {
  #position: number;
  readonly #pending = new Map<number, { end: number; clean: boolean | undefined }>();

  constructor(start: number) {
    this.#position = start;
  }

  /** Positions `start…end-1` went out in one batch. */
  sent(start: number, end: number): void {
    this.#pending.set(start, { end, clean: undefined });
  }

  done(start: number, clean: boolean): void {
    const batch = this.#pending.get(start);
    if (!batch) return;
    batch.clean = clean;
    for (let next = this.#pending.get(this.#position); next?.clean; next = this.#pending.get(this.#position)) {
      this.#pending.delete(this.#position);
      this.#position = next.end;
    }
  }

  get position(): number {
    return this.#position;
  }
}
