import { ALL_RULES, type KeyBlockState, type Scrubber } from './scrubber.js';

/** A line as a line capture emits it: its bytes, the terminator that ended it (`''`: a part or the unterminated end), its time. */
export interface ScrubbedLine {
  bytes: Buffer;
  terminator: '\n' | '\r\n' | '\r' | '';
  time: number;
}

/** A trigger found in the stream: bytes `start…end` (absolute), and the rules it calls for. */
interface Hit {
  start: number;
  end: number;
  mask: number;
}

/**
 * Held back from a line part (`terminator ''`, a line longer than the capture's limit) so that a
 * secret cut by the part boundary is whole in the next part. Long enough for the longest JWT a
 * request dump is likely to show.
 */
export const CARRY_BYTES = 4096;

/**
 * Scrubs one output stream (stdout or stderr) of a source, line by line, whatever the write
 * boundaries. Each write goes through {@link scan} before the line capture sees it: the
 * scrubber's prefilter runs over the whole write (plus the seam with the previous one) and
 * records where triggers are, in bytes since the stream began. The capture then hands every line
 * to {@link line}, which knows the line's place in the stream from the lines before it: a line
 * without a trigger is passed on untouched (no copy, no string), one with triggers is searched
 * with just the rules they call for.
 *
 * A line longer than the capture's limit arrives in parts; parts are always searched with every
 * rule, and the last {@link CARRY_BYTES} of each are held back and searched again with the next
 * part, so a secret cut at a part boundary — and so possibly at a chunk boundary — is found.
 *
 * @example
 * const stdout = new StreamScrubber(scrubber, { maxLineBytes });
 * stdout.scan(data);
 * capture.push(data, now, (line) => stdout.line(line, addFrame));
 */
export class StreamScrubber {
  readonly #scrubber: Scrubber;
  readonly #maxLineBytes: number;
  /** Bytes of the stream scanned so far (the next write starts here). */
  #scanned = 0;
  /** Bytes of the stream the capture has emitted as lines so far. */
  #consumed = 0;
  /** The last bytes of the previous write, as Latin-1 text, to find a trigger split across writes. */
  #seam = '';
  #hits: Hit[] = [];
  #hitHead = 0;
  #carry: Buffer | undefined;
  #carryTime = 0;
  readonly #block: KeyBlockState = { inBlock: false, lines: 0 };

  constructor(scrubber: Scrubber, o: { maxLineBytes: number }) {
    this.#scrubber = scrubber;
    this.#maxLineBytes = o.maxLineBytes;
  }

  /** Records where triggers are in `data`, the stream's next bytes. Call before the capture sees them. */
  scan(data: Buffer): void {
    const start = this.#scanned;
    const keep = this.#scrubber.junctionBytes - 1;
    if (this.#seam.length > 0) {
      // Only what crosses the seam: matches inside either side are found by their own scan.
      const seam = this.#seam + data.toString('latin1', 0, Math.min(keep, data.length));
      this.#find(seam, start - this.#seam.length, (from, to) => from < this.#seam.length && to > this.#seam.length);
    }
    this.#find(data.toString('latin1', 0, data.length), start, () => true);
    // The prefilter reports each class of triggers in turn: lines are matched to hits in stream order.
    if (this.#hits.length - this.#hitHead > 1) this.#sortPending();
    this.#scanned += data.length;
    const tail =
      data.length >= keep ? data.toString('latin1', data.length - keep, data.length) : (this.#seam + data.toString('latin1', 0, data.length)).slice(-keep);
    this.#seam = tail;
  }

  /** One captured line (in stream order): passed to `emit` scrubbed, maybe in more or fewer parts. */
  line(line: ScrubbedLine, emit: (line: ScrubbedLine) => void): void {
    const start = this.#consumed;
    this.#consumed += line.bytes.length + line.terminator.length;
    const mask = this.#maskFor(start, this.#consumed);
    if (line.terminator === '' || this.#carry) return this.#part(line, emit);
    if (mask === 0 && !this.#block.inBlock) return emit(line);
    emit({ ...line, bytes: this.#scrubBytes(line.bytes, mask) });
  }

  /** The stream ended: a held-back part goes out, searched to its end. */
  end(emit: (line: ScrubbedLine) => void): void {
    if (!this.#carry) return;
    const bytes = this.#carry;
    this.#carry = undefined;
    this.#emitCut(this.#scrubBytes(bytes, ALL_RULES), '', this.#carryTime, emit);
  }

  #find(text: string, offset: number, keep: (from: number, to: number) => boolean): void {
    this.#scrubber.prefilter.find(text, (from, to, mask) => {
      if (keep(from, to)) this.#hits.push({ start: offset + from, end: offset + to, mask });
    });
  }

  #sortPending(): void {
    const pending = this.#hits.slice(this.#hitHead).sort((x, y) => x.start - y.start);
    this.#hits = pending;
    this.#hitHead = 0;
  }

  /** The rules called for by triggers overlapping bytes `start…end`; forgets hits that end before `end`. */
  #maskFor(start: number, end: number): number {
    let mask = 0;
    let i = this.#hitHead;
    const hits = this.#hits;
    while (i < hits.length && hits[i]!.end <= start) i++;
    this.#hitHead = i;
    for (let j = i; j < hits.length && hits[j]!.start < end; j++) mask |= hits[j]!.mask;
    while (this.#hitHead < hits.length && hits[this.#hitHead]!.end <= end) this.#hitHead++;
    if (this.#hitHead === hits.length) {
      this.#hits = [];
      this.#hitHead = 0;
    } else if (this.#hitHead > 1024) {
      this.#hits = hits.slice(this.#hitHead);
      this.#hitHead = 0;
    }
    return mask;
  }

  /**
   * A line part, or the last part of the line: searched with every rule, together with the carry.
   * Of a part, only secrets that start before its last {@link CARRY_BYTES} are replaced now; the
   * rest (unsearched, a secret there may go on in the next part) is carried into the next part.
   */
  #part(line: ScrubbedLine, emit: (line: ScrubbedLine) => void): void {
    const time = this.#carry ? this.#carryTime : line.time;
    const raw = this.#carry ? Buffer.concat([this.#carry, line.bytes]) : line.bytes;
    this.#carry = undefined;
    if (line.terminator !== '') return this.#emitCut(this.#scrubBytes(raw, ALL_RULES), line.terminator, time, emit);
    let limit = Math.max(0, raw.length - CARRY_BYTES);
    // Not inside a UTF-8 sequence: the part sent now ends on a character boundary.
    while (limit > 0 && (raw[limit]! & 0xc0) === 0x80) limit--;
    const { text, consumed } = this.#scrubber.scrub(raw.toString('latin1', 0, raw.length), ALL_RULES, this.#block, limit);
    // A copy: the capture may reuse the memory of what it handed us.
    this.#carry = Buffer.from(raw.subarray(consumed));
    this.#carryTime = line.time;
    if (text.length > 0) this.#emitCut(Buffer.from(text, 'latin1'), '', time, emit);
  }

  /** Emits `bytes` in parts of at most `maxLineBytes` (a redaction can lengthen a line); the last one gets `terminator`. */
  #emitCut(bytes: Buffer, terminator: ScrubbedLine['terminator'], time: number, emit: (line: ScrubbedLine) => void): void {
    let rest = bytes;
    while (rest.length > this.#maxLineBytes) {
      let cut = this.#maxLineBytes;
      while (cut > this.#maxLineBytes - 4 && (rest[cut]! & 0xc0) === 0x80) cut--;
      emit({ bytes: rest.subarray(0, cut), terminator: '', time });
      rest = rest.subarray(cut);
    }
    emit({ bytes: rest, terminator, time });
  }

  #scrubBytes(bytes: Buffer, mask: number): Buffer {
    const text = bytes.toString('latin1', 0, bytes.length);
    const out = this.#scrubber.scrub(text, mask, this.#block).text;
    return out === text ? bytes : Buffer.from(out, 'latin1');
  }
}
