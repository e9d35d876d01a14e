import type { FrameTerminator } from '../core/contract/index.js';

/** One captured line (or line part) of one stream, before it gets its line number. */
export interface CapturedLine {
  bytes: Buffer;
  terminator: FrameTerminator;
  /** When the line's first byte arrived (epoch ms). */
  time: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits one stream's bytes into lines, whatever the read boundaries: `\n`, `\r\n` and a lone `\r`
 * end a line; a line longer than `maxLineBytes` is cut (at a UTF-8 boundary when there is one near)
 * into parts with terminator `''`; {@link end} emits an unterminated last line with `''`.
 * Pure: no I/O, no clock (callers pass the time).
 */
export class LineCapture {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingTime = 0;
  /** A `\r` ended the previous read: it is `\r\n` if the next read starts with `\n`. */
  #crPending = false;

  constructor(maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) throw new RangeError(`maxLineBytes must be an integer ≥ 4, got ${maxLineBytes}`);
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held back waiting for a terminator. */
  get pendingBytes(): number {
    return this.#pendingBytes + (this.#crPending ? 1 : 0);
  }

  push(data: Buffer, now: number, emit: (line: CapturedLine) => void): void {
    let pos = 0;
    if (this.#crPending) {
      this.#crPending = false;
      if (data.length > 0 && data[0] === LF) {
        this.#emitPending('\r\n', emit);
        pos = 1;
      } else {
        this.#emitPending('\r', emit);
      }
    }
    let cr = data.indexOf(CR, pos);
    while (pos < data.length) {
      const lf = data.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = data.indexOf(CR, pos);
      let end: number;
      let terminator: FrameTerminator;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        if (cr === data.length - 1) {
          // Cannot tell `\r` from `\r\n` yet.
          this.#append(data.subarray(pos, cr), now, emit);
          this.#crPending = true;
          if (this.#pendingBytes === 0) this.#pendingTime = now;
          return;
        }
        end = cr;
        terminator = data[cr + 1] === LF ? '\r\n' : '\r';
        next = cr + terminator.length;
      } else if (lf !== -1) {
        end = lf;
        terminator = '\n';
        next = lf + 1;
      } else {
        this.#append(data.subarray(pos), now, emit);
        return;
      }
      if (this.#pendingBytes === 0 && end - pos <= this.#maxLineBytes) {
        // The common case, a whole line inside this read: no copy, nothing held.
        emit({ bytes: data.subarray(pos, end), terminator, time: now });
      } else {
        this.#append(data.subarray(pos, end), now, emit);
        this.#emitPending(terminator, emit, now);
      }
      pos = next;
    }
  }

  /**
   * Copies what is held back, so that it no longer points into the Buffers given to {@link push}
   * (whose memory the caller may then reuse).
   */
  detach(): void {
    if (this.#pending.length > 0) this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
  }

  /** The stream ended: whatever is held back is emitted (a lone `\r` as itself, text with `''`). */
  end(now: number, emit: (line: CapturedLine) => void): void {
    if (this.#crPending) {
      this.#crPending = false;
      this.#emitPending('\r', emit, now);
    } else if (this.#pendingBytes > 0) {
      this.#emitPending('', emit, now);
    }
  }

  #append(bytes: Buffer, now: number, emit: (line: CapturedLine) => void): void {
    if (bytes.length === 0) return;
    if (this.#pendingBytes === 0) this.#pendingTime = now;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    while (this.#pendingBytes > this.#maxLineBytes) {
      const all = this.#take();
      const cut = utf8Boundary(all, this.#maxLineBytes);
      emit({ bytes: all.subarray(0, cut), terminator: '', time: this.#pendingTime });
      const rest = all.subarray(cut);
      this.#pendingTime = now;
      if (rest.length > 0) {
        this.#pending.push(rest);
        this.#pendingBytes = rest.length;
      }
    }
  }

  #emitPending(terminator: FrameTerminator, emit: (line: CapturedLine) => void, now?: number): void {
    const time = this.#pendingBytes > 0 || now === undefined ? this.#pendingTime : now;
    emit({ bytes: this.#take(), terminator, time });
  }

  #take(): Buffer {
    const bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    return bytes;
  }
}

/**
 * A cut position ≤ `limit` that does not split a UTF-8 sequence (backs off over at most 3
 * continuation bytes); `limit` itself when the bytes there are not UTF-8 anyway.
 */
export function utf8Boundary(bytes: Buffer, limit: number): number {
  for (let cut = limit; cut > limit - 4 && cut > 0; cut--) {
    if ((bytes[cut]! & 0xc0) !== 0x80) return cut;
  }
  return limit;
}
