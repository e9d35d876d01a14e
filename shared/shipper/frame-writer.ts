import { isUtf8 } from 'node:buffer';
import type { Frame, FrameStream, FrameTerminator } from '../core/index.js';

/**
 * Writes `framed-v1` frames straight into a Buffer, byte for byte what `encodeFrame()` (core)
 * produces, without a string per line: valid UTF-8 is copied as is, escaping only `"`, `\` and
 * control bytes the way `JSON.stringify` does; anything else goes out as base64 in `b`.
 */

/** Bytes a frame of a `lineBytes`-byte line can take at most (every byte escaped as `\u00XX`), newline excluded. */
export function maxFrameBytes(lineBytes: number): number {
  return FRAME_OVERHEAD + 6 * lineBytes;
}

// `{"t":"<24>","s":"stdout","n":<≤16 digits>,"m":"` + `","e":"\r\n"}`, rounded up.
const FRAME_OVERHEAD = 96;

const TERMINATOR_TAIL: Record<FrameTerminator, Buffer> = {
  '\n': Buffer.from('"}'),
  '\r\n': Buffer.from('","e":"\\r\\n"}'),
  '\r': Buffer.from('","e":"\\r"}'),
  '': Buffer.from('","e":""}'),
};
const MESSAGE_KEY = Buffer.from(',"m":"');
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
    let o = offset + this.#heads.get(frame.time, frame.stream).copy(out, offset);
    o = writeDecimal(out, o, frame.line);
    const start = o;
    o += MESSAGE_KEY.copy(out, o);
    const end = writeJsonStringBody(out, o, frame.bytes);
    if (end < 0) {
      o = start + BASE64_KEY.copy(out, start);
      o += out.write(frame.bytes.toString('base64'), o, 'latin1');
    } else {
      o = end;
    }
    return o + TERMINATOR_TAIL[frame.terminator].copy(out, o);
  }
}

function writeDecimal(out: Buffer, offset: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = offset + digits - 1; i >= offset; i--) {
    out[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + digits;
}

/**
 * The JSON string body of `src` (no quotes) at `offset`; -1 when `src` is not valid UTF-8.
 * Bytes below 0x80 are checked one by one; UTF-8 validity is only asked of lines with others.
 */
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;

function writeJsonStringBody(out: Buffer, offset: number, src: Buffer): number {
  if (!NEEDS_ESCAPE.test(src.toString('latin1'))) {
    if (!isUtf8(src)) return -1;
    return offset + src.copy(out, offset);
  }
  let o = offset;
  let high = 0;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const b = src[i]!;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
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
  if ((high & 0x80) !== 0 && !isUtf8(src)) return -1;
  return o;
}
