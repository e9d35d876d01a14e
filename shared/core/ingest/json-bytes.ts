/**
 * A growable byte buffer that JSON is written into piece by piece: constant parts as bytes
 * encoded once, ASCII (times, ids, numbers) without a UTF-8 pass, strings through
 * `JSON.stringify`. Building a document as one string instead made V8 join (flatten) and then
 * encode ~30 pieces per line, allocating all of it twice: most of the indexer's garbage.
 *
 * @example
 * const out = new JsonBytes();
 * out.bytes(OPEN); out.ascii(timestamp.iso); out.string(message); out.byte(0x7d);
 * send(out.view());
 */
export class JsonBytes {
  #buf: Buffer;
  length = 0;

  constructor(capacity = 16 * 1024) {
    this.#buf = Buffer.allocUnsafeSlow(capacity);
  }

  /** Starts over (the bytes of the previous {@link view} are overwritten from here on). */
  reset(): void {
    this.length = 0;
  }

  /** The bytes written since the last reset, valid until the next write. */
  view(): Buffer {
    return this.#buf.subarray(0, this.length);
  }

  /** Bytes encoded once (a constant part of every document). */
  bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.#reserve(n);
    const buf = this.#buf;
    const o = this.length;
    // A loop beats the native copy for the few dozen bytes of a field name.
    if (n > 16) buf.set(bytes, o);
    else for (let i = 0; i < n; i++) buf[o + i] = bytes[i]!;
    this.length = o + n;
  }

  /** `bytes[start, end)`, as they are. */
  slice(bytes: Buffer, start: number, end: number): void {
    const n = end - start;
    this.#reserve(n);
    bytes.copy(this.#buf, this.length, start, end);
    this.length += n;
  }

  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.length++] = b;
  }

  /** A string known to be ASCII: an ISO time, an id, a number. */
  ascii(text: string): void {
    const n = text.length;
    this.#reserve(n);
    const buf = this.#buf;
    let o = this.length;
    if (n > 32) {
      o += (buf as NodeBuffer).latin1Write(text, o);
    } else {
      for (let i = 0; i < n; i++) buf[o++] = text.charCodeAt(i);
    }
    this.length = o;
  }

  /** A non-negative integer or any other number, as `JSON.stringify` writes it. */
  number(value: number): void {
    this.ascii(String(value));
  }

  /** A JSON string literal of `text`, exactly as `JSON.stringify(text)`. */
  string(text: string): void {
    this.utf8(JSON.stringify(text));
  }

  /** The inside of a JSON string literal of `text` (no quotes), escaped exactly as `JSON.stringify(text)` escapes it. */
  stringContent(text: string): void {
    const n = text.length;
    if (n <= 64) {
      // Short printable ASCII (paths, numbers, most values) byte by byte: no native call.
      this.#reserve(n);
      const buf = this.#buf;
      const start = this.length;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return this.#escapedContent(text);
        buf[start + i] = c;
      }
      this.length = start + n;
      return;
    }
    if (NEEDS_ESCAPE.test(text)) this.#escapedContent(text);
    else this.utf8(text);
  }

  #escapedContent(text: string): void {
    this.utf8(JSON.stringify(text).slice(1, -1));
  }

  /** A JSON value (object, array), exactly as `JSON.stringify(value)`. */
  json(value: unknown): void {
    this.utf8(JSON.stringify(value));
  }

  /** Any string, UTF-8 encoded. */
  utf8(text: string): void {
    this.#reserve(text.length * 3);
    this.length += (this.#buf as NodeBuffer).utf8Write(text, this.length);
  }

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.length + n, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.length);
    this.#buf = grown;
  }
}

/** What `JSON.stringify` escapes in a string: quote, backslash, control characters, and (only when unpaired, but any is a rare case) surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A constant part of a document, encoded once. */
export function encoded(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Node's own codecs, which `Buffer.prototype.write`/`toString` call after checking their arguments (not in @types/node). */
export interface NodeBuffer extends Buffer {
  utf8Write(text: string, offset: number): number;
  latin1Write(text: string, offset: number): number;
  utf8Slice(start: number, end: number): string;
}
