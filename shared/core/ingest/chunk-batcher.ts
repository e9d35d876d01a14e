import { SEQUENCE_STRIDE } from '../contract/constants.js';
import { TooManyLinesError } from '../errors.js';
import { bulkActionWriter, BulkBatcher, type BulkBatch, type BulkLimits } from './bulk.js';
import type { ChunkContext } from './chunk-context.js';
import { EcsDocumentWriter } from './ecs-document.js';
import type { RawLine } from './line-splitter.js';

/** A closed bulk batch and the line positions `start…end-1` of the chunk it covers. */
export interface PositionedBatch {
  batch: BulkBatch;
  start: number;
  end: number;
}

/**
 * Turns one chunk's raw lines into bounded bulk batches, each knowing which line positions it
 * covers (empty lines included), so a stop mid-chunk can record how far the chunk is indexed.
 * Lines before `resumeAt` were indexed by an earlier invocation and are skipped.
 *
 * @example
 * const batcher = new ChunkBatcher(chunk, config.bulk, 0);
 * for (const line of splitter.push(buf)) { const closed = batcher.add(line); if (closed) await send(closed); }
 * const last = batcher.flush(); if (last) await send(last);
 */
export class ChunkBatcher {
  readonly #writer: EcsDocumentWriter;
  readonly #toAction: ReturnType<typeof bulkActionWriter>;
  readonly #batcher: BulkBatcher;
  readonly #resumeAt: number;
  /** Where the open batch starts. */
  #cut: number;
  #lastPosition: number;
  #documents = 0;

  constructor(chunk: ChunkContext, limits: BulkLimits, resumeAt: number) {
    this.#writer = new EcsDocumentWriter(chunk);
    this.#toAction = bulkActionWriter(chunk.dataStream);
    this.#batcher = new BulkBatcher(limits);
    this.#resumeAt = resumeAt;
    this.#cut = resumeAt;
    this.#lastPosition = resumeAt - 1;
  }

  /** Adds a line; returns the batch that had to be closed to make room for it, if any. */
  add(line: RawLine): PositionedBatch | undefined {
    this.#lastPosition = line.position;
    if (line.position < this.#resumeAt) return undefined;
    if (line.position >= SEQUENCE_STRIDE) {
      throw new TooManyLinesError(`Chunk has more than ${SEQUENCE_STRIDE} lines; the rest is not indexed`);
    }
    const doc = this.#writer.write(line);
    if (!doc) return undefined;
    this.#documents++;
    return this.#close(this.#batcher.add(doc.id, this.#toAction(doc)), line.position);
  }

  /** The last, partly filled batch (up to the last line seen). */
  flush(): PositionedBatch | undefined {
    return this.#close(this.#batcher.flush(), this.#lastPosition + 1);
  }

  /** Documents written so far (lines with content, parts of long lines counted apart). */
  get documents(): number {
    return this.#documents;
  }

  /** Line positions read so far (empty lines included). */
  get positions(): number {
    return this.#lastPosition + 1;
  }

  /** Line numbers and capture times of the documents written so far. */
  get progress() {
    return this.#writer.progress;
  }

  #close(batch: BulkBatch | undefined, end: number): PositionedBatch | undefined {
    if (!batch) return undefined;
    const start = this.#cut;
    this.#cut = end;
    return { batch, start, end };
  }
}
