import { isUtf8 } from 'node:buffer';
import { MARK_FIELD, type Frame, type FrameMark, type FrameStream, type FrameTerminator } from '../core/contract/index.js';

/**
 * Writes `framed-v1` frames straight into a Buffer, byte for byte what `encodeFrame()` (core)
 * produces, without a string per line: valid UTF-8 is copied as is, escaping only `"`, `\` and
 * control bytes the way `JSON.stringify` does; anything else goes out as base64 in `b`.
 */

/** Bytes a frame of a `lineBytes`-byte line can take at most (every byte escaped as `\u00XX`), newline excluded. */
export function maxFrameBytes(lineBytes: number): number {
  return FRAME_OVERHEAD + 6 * lineBytes;
}

// `{"t":"<24>","s":"stdout","n":<≤16 digits>,"c":1,"m":"` + `","e":"\r\n"}` (90 bytes), rounded up.
const FRAME_OVERHEAD = 96;

const TERMINATOR_TAIL: Record<FrameTerminator, Buffer> = {
  '\n': Buffer.from('"}'),
  '\r\n': Buffer.from('","e":"\\r\\n"}'),
  '\r': Buffer.from('","e":"\\r"}'),
  '': Buffer.from('","e":""}'),
};
const MESSAGE_KEY = Buffer.from(',"m":"');
const MARKS: Record<FrameMark, Buffer> = { continue: Buffer.from(`,${MARK_FIELD.continue.slice(0, -1)}`), cut: Buffer.from(`,${MARK_FIELD.cut.slice(0, -1)}`) };
const BASE64_KEY = Buffer.from(',"b":"');
const HEX = Buffer.from('0123456789abcdef');
/** The escape letter JSON.stringify uses for a control byte, 0 for `\u00XX`. */
const SHORT_ESCAPE = new Uint8Array(0x20);
SHORT_ESCAPE[0x08] = 0x62; // \b
SHORT_ESCAPE[0x09] = 0x74; // \t
SHORT_ESCAPE[0x0a] = 0x6e; // \n
SHORT_ESCAPE[0x0c] = 0x66; // \f
SHORT_ESCAPE[0x0d] = 0x72; // \r

/**
 * `{"t":"<iso>","s":"<stream>","n":` for one millisecond and stream: lines of a burst share it,
 * so it is formatted once per millisecond.
 */
class HeadCache {
  #time = NaN;
  #heads: Record<FrameStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  get(time: number, stream: FrameStream): Buffer {
    if (time !== this.#time) {
      this.#time = time;
      const iso = new Date(time).toISOString();
      this.#heads = { stdout: Buffer.from(`{"t":"${iso}","s":"stdout","n":`), stderr: Buffer.from(`{"t":"${iso}","s":"stderr","n":`) };
    }
    return this.#heads[stream];
  }
}

export class FrameWriter {
  readonly #heads = new HeadCache();

  /**
   * Writes `frame` at `offset` of `out` (which must have {@link maxFrameBytes} free) and returns
   * the offset after it. No newline is added.
   */
  write(out: Buffer, offset: number, frame: Frame): number {
    let o = put(out, offset, this.#heads.get(frame.time, frame.stream));
    o = writeDecimal(out, o, frame.line);
    if (frame.mark) o = put(out, o, MARKS[frame.mark]);
    const start = o;
    o = put(out, o, MESSAGE_KEY);
    const end = writeJsonStringBody(out, o, frame.bytes);
    if (end < 0) {
      o = put(out, start, BASE64_KEY);
      o += out.write(frame.bytes.toString('base64'), o, 'latin1');
    } else {
      o = end;
    }
    return put(out, o, TERMINATOR_TAIL[frame.terminator]);
  }

  /** The bytes {@link write} takes for `frame`, found without writing it (newline excluded). */
  size(frame: Frame): number {
    const head = this.#heads.get(frame.time, frame.stream).length + decimalDigits(frame.line) + (frame.mark ? MARKS[frame.mark].length : 0);
    const body = jsonStringBodyBytes(frame.bytes);
    const payload = body < 0 ? BASE64_KEY.length + Math.ceil(frame.bytes.length / 3) * 4 : MESSAGE_KEY.length + body;
    return head + payload + TERMINATOR_TAIL[frame.terminator].length;
  }
}

/** Copies a short constant: a loop beats `Buffer.copy`'s native call at a few dozen bytes. */
function put(out: Buffer, offset: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i]!;
  return offset + bytes.length;
}

function decimalDigits(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

function writeDecimal(out: Buffer, offset: number, value: number): number {
  const digits = decimalDigits(value);
  let rest = value;
  for (let i = offset + digits - 1; i >= offset; i--) {
    out[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + digits;
}

/** 1 for the bytes JSON.stringify escapes in a string: controls, `"` and `\\`. */
const NEEDS_ESCAPE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) NEEDS_ESCAPE[b] = 1;
NEEDS_ESCAPE[0x22] = 1;
NEEDS_ESCAPE[0x5c] = 1;

/**
 * The JSON string body of `src` (no quotes) at `offset`; -1 when `src` is not valid UTF-8.
 * Most lines need no escaping: they are scanned once and copied with one memcpy. From the first
 * byte that needs escaping on, bytes are copied one by one.
 */
function writeJsonStringBody(out: Buffer, offset: number, src: Buffer): number {
  const n = src.length;
  let high = 0;
  let i = 0;
  for (; i < n; i++) {
    const b = src[i]!;
    if (NEEDS_ESCAPE[b] !== 0) break;
    high |= b;
  }
  let o = offset + src.copy(out, offset, 0, i);
  for (; i < n; i++) {
    const b = src[i]!;
    if (NEEDS_ESCAPE[b] === 0) {
      out[o++] = b;
      high |= b;
      continue;
    }
    out[o++] = 0x5c;
    if (b === 0x22 || b === 0x5c) {
      out[o++] = b;
    } else if (SHORT_ESCAPE[b] !== 0) {
      out[o++] = SHORT_ESCAPE[b]!;
    } else {
      out[o++] = 0x75; // u00XX
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = HEX[b >> 4]!;
      out[o++] = HEX[b & 0xf]!;
    }
  }
  // Pure ASCII is valid UTF-8; only lines with other bytes are checked.
  if ((high & 0x80) !== 0 && !isUtf8(src)) return -1;
  return o;
}

/** What {@link writeJsonStringBody} would write for `src`, in bytes; -1 when `src` is not valid UTF-8. */
function jsonStringBodyBytes(src: Buffer): number {
  let bytes = src.length;
  let high = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    high |= b;
    if (NEEDS_ESCAPE[b] === 0) continue;
    bytes += b === 0x22 || b === 0x5c || SHORT_ESCAPE[b] !== 0 ? 1 : 5;
  }
  return (high & 0x80) !== 0 && !isUtf8(src) ? -1 : bytes;
}
