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
 * The prefix of line positions whose bulk batches all completed cleanly. Batches are sent a few
 * at a time and finish in any order; each says, when it is sent, up to which position every
 * line has gone out in it or an earlier batch (`end`, never decreasing: a line held in an open
 * event keeps it back even while later lines go out). The prefix is the `end` of the last batch
 * that, with every batch sent before it, completed cleanly. A batch with rejected documents never
 * counts as clean, so a resumed run sends it again and reports the rejections itself.
 *
 * @example
 * const prefix = new ConfirmedPrefix(0);
 * const ticket = prefix.sent(120);   // this batch and those before it cover positions 0…119
 * prefix.done(ticket, true);
 * prefix.position; // 120
 */
export class ConfirmedPrefix {
  #position: number;
  /** Batches sent and not yet part of the prefix, in the order they were sent. */
  readonly #pending: Array<{ end: number; clean: boolean | undefined }> = [];
  #first = 0;

  constructor(start: number) {
    this.#position = start;
  }

  /** A batch went out; every position below `end` is in it or in an earlier one. Returns its ticket. */
  sent(end: number): number {
    this.#pending.push({ end, clean: undefined });
    return this.#first + this.#pending.length - 1;
  }

  done(ticket: number, clean: boolean): void {
    const batch = this.#pending[ticket - this.#first];
    if (!batch) return;
    batch.clean = clean;
    while (this.#pending[0]?.clean) {
      this.#position = Math.max(this.#position, this.#pending.shift()!.end);
      this.#first++;
    }
  }

  get position(): number {
    return this.#position;
  }
}
