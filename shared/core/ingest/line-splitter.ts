/** One line (or one part of a very long line) as bytes, with its stable position in the chunk. */
export interface RawLine {
  bytes: Buffer;
  /** 0, 1, 2… over every line and part of the chunk, empty lines included: the basis of `_id`. */
  position: number;
  /** Index of this part when a line longer than the limit was split, else undefined. */
  part?: number;
  /** Ended by a lone `\r` (not `\r\n`): a progress bar redrawing itself. Absent otherwise. */
  cr?: true;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines without holding more than one line (capped at `maxLineBytes`)
 * plus the current input buffer. `\n`, `\r\n` and a lone `\r` end a line; a missing final newline
 * is fine; lines longer than `maxLineBytes` are cut at a UTF-8 character boundary into parts.
 *
 * @example
 * const splitter = new LineSplitter(32 * 1024);
 * for await (const buf of gunzipped) for (const line of splitter.push(buf)) use(line);
 * for (const line of splitter.end()) use(line);
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryLength = 0;
  private position = 0;
  private part = -1;
  /** A line ended by `\r` at the end of a read: `\r\n` or a lone `\r` is known from the next byte. */
  private heldCr: Buffer | undefined;

  constructor(private readonly maxLineBytes: number) {}

  *push(buf: Buffer): Generator<RawLine> {
    let start = 0;
    if (this.heldCr && buf.length > 0) {
      const crlf = buf[0] === LF;
      if (crlf) start = 1;
      const held = this.heldCr;
      this.heldCr = undefined;
      yield* this.finish(held, !crlf);
    }
    let nextLf = buf.indexOf(LF, start);
    let nextCr = buf.indexOf(CR, start);
    while (start < buf.length) {
      if (nextLf !== -1 && nextLf < start) nextLf = buf.indexOf(LF, start);
      if (nextCr !== -1 && nextCr < start) nextCr = buf.indexOf(CR, start);
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextLf, nextCr);
      if (end === -1) {
        yield* this.keep(buf.subarray(start));
        return;
      }
      const text = buf.subarray(start, end);
      start = end + 1;
      if (buf[end] === LF) {
        yield* this.finish(text, false);
      } else if (start === buf.length) {
        // `\r` ends this read: whether it is `\r\n` shows in the next one.
        this.heldCr = text;
      } else {
        const crlf = buf[start] === LF;
        if (crlf) start += 1;
        yield* this.finish(text, !crlf);
      }
    }
  }

  /** Flushes a last line that had no newline. */
  *end(): Generator<RawLine> {
    if (this.heldCr) {
      const held = this.heldCr;
      this.heldCr = undefined;
      yield* this.finish(held, true);
      return;
    }
    if (this.carryLength > 0 || this.part >= 0) yield* this.finish(Buffer.alloc(0), false);
  }

  private *keep(piece: Buffer): Generator<RawLine> {
    this.carry.push(piece);
    this.carryLength += piece.length;
    if (this.carryLength <= this.maxLineBytes) return;
    let pending = Buffer.concat(this.carry, this.carryLength);
    while (pending.length > this.maxLineBytes) {
      const cut = utf8Boundary(pending, this.maxLineBytes);
      yield this.emit(pending.subarray(0, cut), true);
      pending = pending.subarray(cut);
    }
    this.carry = [pending];
    this.carryLength = pending.length;
  }

  private *finish(piece: Buffer, cr: boolean): Generator<RawLine> {
    let line = piece;
    if (this.carryLength > 0) {
      this.carry.push(piece);
      line = Buffer.concat(this.carry, this.carryLength + piece.length);
      this.carry = [];
      this.carryLength = 0;
    }
    while (line.length > this.maxLineBytes) {
      const cut = utf8Boundary(line, this.maxLineBytes);
      yield this.emit(line.subarray(0, cut), true);
      line = line.subarray(cut);
    }
    const last = this.emit(line, this.part >= 0);
    if (cr) last.cr = true;
    yield last;
    this.part = -1;
  }

  private emit(bytes: Buffer, isPart: boolean): RawLine {
    const position = this.position++;
    if (!isPart) return { bytes, position };
    this.part += 1;
    return { bytes, position, part: this.part };
  }
}

/** Largest cut ≤ `max` that does not fall inside a UTF-8 sequence (binary input: just `max`). */
function utf8Boundary(bytes: Buffer, max: number): number {
  for (let cut = max; cut > max - 4 && cut > 0; cut--) {
    if ((bytes[cut]! & 0xc0) !== 0x80) return cut;
  }
  return max;
}
