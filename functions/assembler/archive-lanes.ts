import { compareKeys, keyOf, type ArchiveRecord } from '../../shared/core/archive/index.js';
import type { ChunkDocuments, DocumentJson } from './archive-documents.js';

const MERGED = { kind: 'merged' } as const;

/** Where one source's documents stand: the chunk being read and how many of its (sorted) records were taken. */
export interface LanePosition {
  seq: number;
  at: number;
}

export interface LaneSource {
  source: string;
  /** The source's chunk seqs, ascending. */
  seqs: readonly number[];
  /** The documents the indexer writes for one chunk. */
  read: (seq: number) => Promise<ChunkDocuments>;
  /** Receives the chunk record of every chunk read (a chunk read again after a resume gives it again). */
  onChunkRecord: (record: DocumentJson) => void;
}

/**
 * One source's documents, chunk after chunk, each chunk's in the merged order, with the next
 * chunk read ahead. Its {@link position} says exactly what was taken, so a build that stops can be
 * continued from it by another invocation: the chunk is read again and its first `at` records skipped.
 */
export class SourceLane {
  readonly source: string;
  readonly #o: LaneSource;
  /** Index in `seqs` of the chunk being read; `seqs.length` once every chunk is done. */
  #i: number;
  #records: ArchiveRecord[] = [];
  #at = 0;
  #next: Promise<ChunkDocuments> | undefined;

  private constructor(o: LaneSource, start: number) {
    this.source = o.source;
    this.#o = o;
    this.#i = start - 1;
    this.#next = this.#readAhead(start);
  }

  /** A lane from the first chunk, or from `from` (a {@link position} of an earlier build; null = the source was done). */
  static async open(o: LaneSource, from?: LanePosition | null): Promise<SourceLane> {
    const start = startOf(o.seqs, from);
    const lane = new SourceLane(o, start);
    await lane.#load();
    if (from && o.seqs[start] === from.seq) lane.#at = from.at;
    await lane.#skipDone();
    return lane;
  }

  /** The next record of this source, undefined once it is done. */
  head(): ArchiveRecord | undefined {
    return this.#records[this.#at];
  }

  /** The head was taken: moves past it; a promise only when the next chunk has to be read (await it before the next {@link head}). */
  take(): Promise<void> | undefined {
    this.#at++;
    return this.#at < this.#records.length ? undefined : this.#skipDone();
  }

  /** Where this lane stands; null once every chunk is done. */
  position(): LanePosition | null {
    const seq = this.#o.seqs[this.#i];
    return seq === undefined ? null : { seq, at: this.#at };
  }

  async #skipDone(): Promise<void> {
    while (this.#at >= this.#records.length && this.#i < this.#o.seqs.length) await this.#load();
  }

  async #load(): Promise<void> {
    this.#i++;
    this.#records = [];
    this.#at = 0;
    const current = this.#next;
    if (!current) return;
    this.#next = this.#readAhead(this.#i + 1);
    const chunk = await current;
    if (chunk.chunkRecord) this.#o.onChunkRecord(chunk.chunkRecord);
    this.#records = chunk.records;
  }

  #readAhead(i: number): Promise<ChunkDocuments> | undefined {
    const seq = this.#o.seqs[i];
    if (seq === undefined) return undefined;
    const read = this.#o.read(seq);
    // Attach a handler now: a failed read ahead must not surface as an unhandled rejection before its turn.
    read.catch(() => undefined);
    return read;
  }
}

/** Index in `seqs` to start at: `from`'s chunk, or the next one if the listing no longer has it (purged). */
function startOf(seqs: readonly number[], from: LanePosition | null | undefined): number {
  if (from === null) return seqs.length;
  if (from === undefined) return 0;
  const next = seqs.findIndex((s) => s >= from.seq);
  return next >= 0 ? next : seqs.length;
}

/** The lane whose head comes first in the merged order (capture time, source, sequence); undefined when all are done. */
export function firstLane(lanes: readonly SourceLane[]): SourceLane | undefined {
  let best: SourceLane | undefined;
  let bestKey: ReturnType<typeof keyOf> | undefined;
  for (const lane of lanes) {
    const head = lane.head();
    if (!head) continue;
    const key = keyOf(head, MERGED);
    if (!bestKey || compareKeys(key, bestKey) < 0) {
      best = lane;
      bestKey = key;
    }
  }
  return best;
}
