import { CHUNK_CONTRACT_VERSION, isValidJobId } from '../contract/index.js';
import { InvalidParameterError } from '../errors.js';

/** Which chunks a backfill re-indexes: one job's, every job's whose id starts with a prefix, or every chunk written since a time. */
export type BackfillSelection = { job: string } | { prefix: string } | { since: string };

/** Where a backfill writes: a stage's data streams in an Elasticsearch. */
export interface BackfillTarget {
  stage: string;
  esNode: string;
}

export interface BackfillCounts {
  chunks: number;
  /** Chunks the target already has a record of (indexed before): not read again. */
  alreadyIndexed: number;
  indexed: number;
  duplicates: number;
  lines: number;
  bytes: number;
  /** Chunks left alone because some of their lines sit in an older backing index (indexing them would duplicate those). */
  unsafe: number;
  failed: number;
}

/** A backfill's progress on disk: a run with the same selection and target goes on after `doneThrough`. */
export interface BackfillState {
  version: 1;
  bucket: string;
  selection: BackfillSelection;
  target: BackfillTarget;
  startedAt: string;
  updatedAt: string;
  /** Every selected chunk key up to this one (in S3's key order) is done; null before the first. */
  doneThrough: string | null;
  counts: BackfillCounts;
  /** Chunks that failed or were left alone, with why (the first {@link MAX_LISTED}). */
  attention: Array<{ key: string; code: string; reason: string }>;
}

export const MAX_LISTED = 1000;

export function emptyCounts(): BackfillCounts {
  return { chunks: 0, alreadyIndexed: 0, indexed: 0, duplicates: 0, lines: 0, bytes: 0, unsafe: 0, failed: 0 };
}

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The one listing prefix of a selection (under `chunks/v1/`), and the time filter of `since`. */
export function selectionListing(selection: BackfillSelection, chunkPrefix = 'chunks/'): { prefix: string; since?: Date } {
  const root = `${chunkPrefix}${CHUNK_CONTRACT_VERSION}/`;
  if ('job' in selection) {
    if (!isValidJobId(selection.job)) throw new InvalidParameterError(`--job ${JSON.stringify(selection.job)} is not a job id`);
    return { prefix: `${root}${selection.job}/` };
  }
  if ('prefix' in selection) {
    if (!PREFIX.test(selection.prefix))
      throw new InvalidParameterError(`--prefix ${JSON.stringify(selection.prefix)} must be the start of a job id ([A-Za-z0-9][A-Za-z0-9_.-]*)`);
    return { prefix: `${root}${selection.prefix}` };
  }
  const since = new Date(selection.since);
  if (Number.isNaN(since.getTime())) throw new InvalidParameterError(`--since ${JSON.stringify(selection.since)} is not a time (e.g. 2026-11-25T10:00:00Z)`);
  return { prefix: root, since };
}

/** A state to go on from, when it is for this very backfill; otherwise a fresh one. */
export function resumeOrStart(
  existing: BackfillState | undefined,
  wanted: Pick<BackfillState, 'bucket' | 'selection' | 'target'>,
  now: Date,
): { state: BackfillState; resumed: boolean } {
  const same =
    existing?.version === 1 &&
    existing.bucket === wanted.bucket &&
    JSON.stringify(existing.selection) === JSON.stringify(wanted.selection) &&
    JSON.stringify(existing.target) === JSON.stringify(wanted.target);
  if (same) return { state: existing, resumed: true };
  const at = now.toISOString();
  return { state: { version: 1, ...wanted, startedAt: at, updatedAt: at, doneThrough: null, counts: emptyCounts(), attention: [] }, resumed: false };
}

/**
 * The resume point of work done a few at a time and finished in any order: the last key such
 * that it and every key started before it are done (keys are started in S3's key order).
 *
 * @example
 * const mark = new KeyWatermark(state.doneThrough);
 * mark.started('a'); mark.started('b'); mark.done('b'); mark.through; // still null
 * mark.done('a'); mark.through; // 'b'
 */
export class KeyWatermark {
  readonly #pending: Array<{ key: string; done: boolean }> = [];
  #through: string | null;

  constructor(through: string | null) {
    this.#through = through;
  }

  get through(): string | null {
    return this.#through;
  }

  started(key: string): void {
    this.#pending.push({ key, done: false });
  }

  done(key: string): void {
    const entry = this.#pending.find((p) => p.key === key && !p.done);
    if (entry) entry.done = true;
    while (this.#pending[0]?.done) this.#through = this.#pending.shift()!.key;
  }
}
