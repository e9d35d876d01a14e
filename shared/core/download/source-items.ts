import type { Gap, PrintedLine } from './download-lines.js';

/** Where a source's reading stands: the chunk and line index the next item starts at. */
export interface SourcePosition {
  seq: number;
  index: number;
  /** Line number expected next (for the gap marker's line range after a resume). */
  nextLine?: number | undefined;
  /** Time of the last line read (gap markers sort after it). */
  time: number;
}

export type SourceItem = { kind: 'line'; line: PrintedLine; pos: SourcePosition } | { kind: 'gap'; gap: Gap; pos: SourcePosition };

type ReadLine = PrintedLine & { complete: boolean };

/**
 * Turns one source's printed lines and missing chunks into its items, in order: a line continued
 * across a chunk boundary is joined; consecutive missing (or unreadable) chunks become one gap
 * whose line range the next line read closes. Pure: the reader feeds it and takes the items.
 *
 * @example
 * const items = new SourceItems(undefined, jobStart);
 * items.missing(3, 'missing');
 * items.line(4, printedLine);
 * yield items.take();
 */
export class SourceItems {
  #nextLine: number | undefined;
  #time: number;
  #carry: { line: PrintedLine; pos: SourcePosition; parts: Buffer[] } | undefined;
  #gap: { gap: Gap; pos: SourcePosition } | undefined;
  #out: SourceItem[] = [];
  #firstOfChunk = false;

  constructor(start: SourcePosition | undefined, startTime: number) {
    this.#nextLine = start ? start.nextLine : 0;
    this.#time = start?.time ?? startTime;
  }

  /** Time of the last line read: the default time of the next chunk's lines. */
  get time(): number {
    return this.#time;
  }

  get pending(): boolean {
    return this.#out.length > 0;
  }

  take(): SourceItem[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** A chunk starts: its first line closes an open gap. */
  chunkStarts(): void {
    this.#firstOfChunk = true;
  }

  line(seq: number, line: ReadLine): void {
    if (this.#firstOfChunk) {
      this.#firstOfChunk = false;
      this.#closeGap(line.line);
    }
    this.#time = Math.max(this.#time, line.time);
    if (line.lastLine !== undefined) this.#nextLine = line.lastLine + 1;
    if (this.#carry) {
      this.#carry.parts.push(line.bytes);
      if (line.complete) this.#flushCarry();
      return;
    }
    const pos: SourcePosition = { seq, index: line.index, nextLine: line.line, time: this.#time };
    if (line.complete) this.#out.push({ kind: 'line', line, pos });
    else this.#carry = { line, pos, parts: [line.bytes] };
  }

  /** Chunk `seq` is missing, or (with another reason) could not be read past where it broke. */
  missing(seq: number, reason: string): void {
    this.#flushCarry();
    const gap = this.#gap;
    if (gap && gap.gap.toSeq === seq - 1 && gap.gap.reason === reason) {
      gap.gap.toSeq = seq;
      return;
    }
    if (gap) this.#out.push({ kind: 'gap', ...gap });
    const nextLine = this.#nextLine;
    this.#gap = {
      gap: { fromSeq: seq, toSeq: seq, fromLine: nextLine, toLine: undefined, time: this.#time, reason },
      pos: { seq, index: 0, nextLine, time: this.#time },
    };
  }

  /** A chunk broke after some readable lines: what it still held is unknown. */
  unreadable(seq: number, reason: string): void {
    this.#closeGap(undefined);
    this.missing(seq, reason);
  }

  /** The source is read to its end; an open gap runs to its last line (`lineCount − 1`) when known. */
  end(lineCount: number | undefined): void {
    this.#flushCarry();
    if (!this.#gap) return;
    this.#gap.gap.toLine = lineCount === undefined ? undefined : lineCount - 1;
    this.#out.push({ kind: 'gap', ...this.#gap });
    this.#gap = undefined;
  }

  #flushCarry(): void {
    if (!this.#carry) return;
    const { line, pos, parts } = this.#carry;
    this.#out.push({ kind: 'line', line: { ...line, bytes: Buffer.concat(parts) }, pos });
    this.#carry = undefined;
  }

  #closeGap(firstLineOfNext: number | undefined): void {
    if (!this.#gap) return;
    this.#gap.gap.toLine = firstLineOfNext === undefined ? undefined : firstLineOfNext - 1;
    this.#out.push({ kind: 'gap', ...this.#gap });
    this.#gap = undefined;
  }
}
