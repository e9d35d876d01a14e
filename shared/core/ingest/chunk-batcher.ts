import { SEQUENCE_STRIDE } from '../contract/constants.js';
import { TooManyLinesError } from '../errors.js';
import { bulkActionPrefix, BulkBatcher, type BulkBatch, type BulkLimits } from './bulk.js';
import type { ChunkContext } from './chunk-context.js';
import { LineTag } from './constants.js';
import { DocumentCounts, type RecordedCounts } from './document-counts.js';
import { EcsDocumentWriter, type DecodedLine, type SerializedLine } from './ecs-document.js';
import { LineGrouper, type LineGroup } from './line-grouper.js';
import type { RawLine } from './line-splitter.js';

/** A closed bulk batch and how far it confirms the chunk: every line position below `end` is in it or in an earlier batch. */
export interface PositionedBatch {
  batch: BulkBatch;
  start: number;
  end: number;
}

/** How the indexer groups lines into events and progress bars (README, "Configuration"). */
export interface GroupingSettings {
  enabled: boolean;
  maxLines: number;
  maxBytes: number;
}

export type LeadingGroup = Extract<LineGroup, { kind: 'leading' }>;
export type OpenGroup = Extract<LineGroup, { kind: 'open' }>;

/** The continuation of an open event in the next chunk, as read from it. */
export interface Continuation {
  lines: DecodedLine[];
  /** The next chunk says the event was cut (at its bounds) before its next line. */
  cut: boolean;
  /** Writes documents of lines of the next chunk (their ids are that chunk's). */
  writer: EcsDocumentWriter;
}

const NONE: readonly PositionedBatch[] = [];

/**
 * Turns one chunk's raw lines into bounded bulk batches of documents — one per line, per event,
 * per progress bar in this chunk ({@link LineGrouper}) — each batch knowing how far the chunk is
 * confirmed when it completes, so a stop mid-chunk can record how far it got. Lines before
 * `resumeAt` were indexed by an earlier invocation: they are still read and grouped (an event
 * may have started before), but no document that starts before `resumeAt` is written again.
 *
 * Two kinds of group need the caller, because they depend on a neighbouring chunk
 * (docs/chunk-contract.md, "Events across chunks"): {@link takeLeading} hands over lines that
 * continue an event of the previous chunk ({@link resolveLeading}), and {@link end} the events
 * this chunk lists as open at its end ({@link completeOpen}).
 *
 * @example
 * const batcher = new ChunkBatcher(chunk, config.bulk, 0, config.grouping);
 * for (const line of splitter.push(buf)) for (const closed of batcher.add(line)) await send(closed);
 * const { batches, open } = batcher.end(); // send batches, then:
 * for (const group of open) for (const closed of batcher.completeOpen(group, await nextChunk(group.lane))) await send(closed);
 * const last = batcher.flush(); if (last) await send(last);
 */
export class ChunkBatcher {
  readonly #writer: EcsDocumentWriter;
  readonly #grouper: LineGrouper;
  readonly #settings: GroupingSettings;
  readonly #actionPrefix: Buffer;
  readonly #batcher: BulkBatcher;
  readonly #resumeAt: number;
  /** Where the open batch starts. */
  #cut: number;
  /** Positions read so far. */
  #read = 0;
  #documents = 0;
  readonly #counts = new DocumentCounts();
  #events = 0;
  #collapsed = 0;
  #closed: PositionedBatch[] = [];
  readonly #leading: LeadingGroup[] = [];
  readonly #open: OpenGroup[] = [];
  /** Lines held by the caller (leading and open groups) keep the confirmed position below them. */
  readonly #pending = new Set<LineGroup>();

  constructor(chunk: ChunkContext, limits: BulkLimits, resumeAt: number, grouping: GroupingSettings = { enabled: false, maxLines: 1, maxBytes: 1 }) {
    this.#writer = new EcsDocumentWriter(chunk);
    this.#settings = grouping;
    const { multiline } = chunk;
    this.#grouper = new LineGrouper(
      {
        enabled: grouping.enabled,
        marked: multiline.marked,
        openLanes: multiline.openLanes,
        rules: multiline.rules,
        maxLines: grouping.maxLines,
        maxBytes: grouping.maxBytes,
      },
      (group) => this.#onGroup(group),
    );
    this.#actionPrefix = bulkActionPrefix(chunk.dataStream);
    this.#batcher = new BulkBatcher(limits);
    this.#resumeAt = resumeAt;
    this.#cut = resumeAt;
  }

  /** Adds a line; returns the batches that had to be closed to make room (usually none). */
  add(line: RawLine): readonly PositionedBatch[] {
    if (line.position >= SEQUENCE_STRIDE) {
      throw new TooManyLinesError(`Chunk has more than ${SEQUENCE_STRIDE} lines; the rest is not indexed`);
    }
    this.#read = line.position + 1;
    this.#grouper.add(this.#writer.decode(line));
    return this.#take();
  }

  /** Lines that continue an event of the previous chunk, waiting for {@link resolveLeading}. */
  takeLeading(): LeadingGroup[] {
    return this.#leading.splice(0);
  }

  /**
   * Leading continuation lines: skipped when the previous chunk lists their lane as open (its
   * indexer takes them into its event), else indexed here as an event whose start never came.
   */
  resolveLeading(group: LeadingGroup, previousTakesThem: boolean): readonly PositionedBatch[] {
    this.#pending.delete(group);
    if (!previousTakesThem && group.lines.length > 0) {
      if (group.lines.length === 1) this.#write(this.#writer.writeLine(group.lines[0]!), group.lines[0]!.position);
      else this.#writeEvent(this.#writer, group.lines, [LineTag.eventHeadless], group.lines[0]!.position);
    }
    return this.#take();
  }

  /**
   * The chunk is read: every group goes out. Returns the batches that closed on the way and the
   * events that continue in the next chunk.
   */
  end(): { batches: readonly PositionedBatch[]; open: OpenGroup[] } {
    this.#grouper.end();
    return { batches: this.#take(), open: this.#open.splice(0) };
  }

  /**
   * An event this chunk lists as open, with its continuation from the next chunk (undefined:
   * the next chunk never came, the event is indexed with what it has). Bounds apply across the
   * two chunks: past them, the rest is indexed as lines (with the next chunk's ids).
   */
  completeOpen(group: OpenGroup, continuation: Continuation | undefined): readonly PositionedBatch[] {
    this.#pending.delete(group);
    const own = group.lines;
    const more = continuation?.lines ?? [];
    const { maxLines, maxBytes } = this.#settings;
    let bytes = -1;
    let taken = 0;
    for (const line of [...own, ...more]) {
      const size = line.bytes ?? Buffer.byteLength(line.text);
      if (taken > 0 && (taken + 1 > maxLines || bytes + 1 + size > maxBytes)) break;
      bytes += 1 + size;
      taken++;
    }
    const all = [...own, ...more];
    const lines = all.slice(0, taken);
    const tags = !continuation ? [LineTag.eventIncomplete] : taken < all.length || continuation.cut ? [LineTag.eventCut] : [];
    const headless = own.length === 0;
    // Documents whose first line is in the next chunk are confirmed with this chunk's end.
    const place = (i: number) => (i < own.length ? { writer: this.#writer, anchor: own[i]!.position } : { writer: continuation!.writer, anchor: this.#read });
    if (lines.length === 1 && tags.length === 0 && !headless) this.#write(this.#writer.writeLine(lines[0]!), own[0]!.position);
    else if (lines.length > 0) this.#writeEvent(place(0).writer, lines, headless ? [...tags, LineTag.eventHeadless] : tags, place(0).anchor);
    for (let i = taken; i < all.length; i++) this.#write(place(i).writer.writeLine(all[i]!), place(i).anchor);
    return this.#take();
  }

  /** The last, partly filled batch (call once every leading and open group is resolved). */
  flush(): PositionedBatch | undefined {
    const batch = this.#batcher.flush();
    if (!batch) return undefined;
    // Groups left unresolved (a neighbour that is not there yet) keep their lines unconfirmed.
    return this.#positioned(batch, this.#pending.size > 0 ? this.#safePosition() : this.#read);
  }

  /** Documents written so far (lines with content, events, bars, parts of long lines counted apart). */
  get documents(): number {
    return this.#documents;
  }

  /**
   * The chunk's documents by level and stream — all of them: those before `resumeAt`, which an
   * earlier invocation wrote, are built again to be counted (not sent).
   */
  get counts(): RecordedCounts {
    return this.#counts.recorded();
  }

  /** Events and collapsed progress bars among them. */
  get grouped(): { events: number; collapsed: number } {
    return { events: this.#events, collapsed: this.#collapsed };
  }

  /** Line positions read so far (empty lines included). */
  get positions(): number {
    return this.#read;
  }

  /** Line numbers and capture times of the documents written so far. */
  get progress() {
    return this.#writer.progress;
  }

  #onGroup(group: LineGroup): void {
    switch (group.kind) {
      case 'line':
        return this.#write(this.#writer.writeLine(group.line), group.line.position);
      case 'event':
        return this.#writeEvent(this.#writer, group.lines, group.tags, group.lines[0]!.position);
      case 'bar': {
        const doc = this.#writer.writeBar(group.states);
        if (doc && group.states.length > 1 && group.states[0]!.position >= this.#resumeAt) this.#collapsed++;
        return this.#write(doc, group.states[0]!.position);
      }
      case 'leading':
        // No lines (only a cut mark): nothing to skip or to index.
        if (group.lines.length === 0) return;
        this.#pending.add(group);
        return void this.#leading.push(group);
      case 'open':
        this.#pending.add(group);
        return void this.#open.push(group);
    }
  }

  #writeEvent(writer: EcsDocumentWriter, lines: readonly DecodedLine[], tags: readonly string[], anchor: number): void {
    const doc = writer.writeEvent(lines, tags);
    if (doc && anchor >= this.#resumeAt) this.#events++;
    this.#write(doc, anchor);
  }

  /** Adds a document whose first line is at `anchor` (counted only, when an earlier invocation confirmed it). */
  #write(doc: SerializedLine | undefined, anchor: number): void {
    if (!doc) return;
    this.#counts.add(doc.level, doc.stream);
    if (anchor < this.#resumeAt) return;
    this.#documents++;
    const closed = this.#batcher.addDocument(this.#actionPrefix, doc);
    if (closed) this.#closed.push(this.#positioned(closed, Math.min(anchor, this.#safePosition())));
  }

  /** Every line below this has gone out in a document, or was empty, or is taken by a neighbour. */
  #safePosition(): number {
    let safe = this.#grouper.safePosition(this.#read);
    for (const group of this.#pending) if (group.kind !== 'line' && 'lines' in group && group.lines.length > 0) safe = Math.min(safe, group.lines[0]!.position);
    return safe;
  }

  #positioned(batch: BulkBatch, end: number): PositionedBatch {
    const start = this.#cut;
    this.#cut = Math.max(this.#cut, end);
    return { batch, start, end: this.#cut };
  }

  #take(): readonly PositionedBatch[] {
    if (this.#closed.length === 0) return NONE;
    return this.#closed.splice(0);
  }
}
