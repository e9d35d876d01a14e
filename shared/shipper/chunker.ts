import type { Frame } from '../core/contract/index.js';
import { FrameWriter, maxFrameBytes } from './frame-writer.js';

/** A chunk body ready to gzip: framed lines, one per line, each ending in `\n`. */
export interface SealedBody {
  body: Buffer;
  lines: number;
  /** Capture time of the chunk's first line (epoch ms); the seal time for an empty chunk. */
  startTime: number;
}

export interface ChunkerOptions {
  maxChunkBytes: number;
  flushIntervalMs: number;
}

const LF = 0x0a;

/**
 * Frames lines straight into the current chunk's Buffer and seals chunk bodies, bounded by
 * uncompressed size and by age. A chunk is sealed before a frame that would take a non-empty
 * chunk past `maxChunkBytes`, and as soon as it reaches it. Pure: the caller passes the time,
 * asks {@link isDue} and calls {@link take} to seal by age.
 */
export class Chunker {
  readonly #options: ChunkerOptions;
  #flushIntervalMs: number;
  readonly #writer = new FrameWriter();
  #buffer: Buffer;
  #length = 0;
  #lines = 0;
  #startTime = 0;
  /** An earlier due time for the current chunk ({@link hurry}); reset when it is sealed. */
  #hurryAt: number | undefined;
  /** Buffers of gzipped chunks, handed back through {@link recycle}: no megabyte allocated per chunk. */
  #spare: Buffer[] = [];

  constructor(options: ChunkerOptions) {
    this.#options = options;
    this.#flushIntervalMs = options.flushIntervalMs;
    this.#buffer = this.#allocate(0);
  }

  get lines(): number {
    return this.#lines;
  }

  get bytes(): number {
    return this.#length;
  }

  /** Adds one frame (nothing of `frame` is kept); `seal` receives every body this seals (the one before it, and/or the one it fills). */
  add(frame: Frame, seal: (body: SealedBody) => void): void {
    // Room for the worst case (every byte escaped) is rarely used: where the chunk lacks it, the
    // frame's exact size decides, instead of a bigger buffer for room it almost never takes.
    if (this.#length + maxFrameBytes(frame.bytes.length) + 1 > this.#buffer.length) this.#makeRoom(this.#writer.size(frame) + 1, seal);
    const start = this.#length;
    let end = this.#writer.write(this.#buffer, start, frame);
    this.#buffer[end++] = LF;
    if (this.#lines > 0 && end > this.#options.maxChunkBytes) {
      // The frame does not fit: seal what came before it, and start the next chunk with it.
      const next = this.#allocate(end - start);
      this.#buffer.copy(next, 0, start, end);
      this.#sealAndSwap(next, seal);
      end -= start;
    }
    if (this.#lines === 0) this.#startTime = frame.time;
    this.#lines++;
    this.#length = end;
    if (this.#length >= this.#options.maxChunkBytes) seal(this.take(frame.time));
  }

  /** When the current chunk must be sealed by age, or undefined when it is empty. */
  dueAt(): number | undefined {
    if (this.#lines === 0) return undefined;
    const due = this.#startTime + this.#flushIntervalMs;
    return this.#hurryAt !== undefined && this.#hurryAt < due ? this.#hurryAt : due;
  }

  /** The earlier due time {@link hurry} gave the current chunk, if any. */
  hurriedAt(): number | undefined {
    return this.#hurryAt;
  }

  /** The current chunk is due by `at` at the latest (an error line in it, while the interval is idle). */
  hurry(at: number): void {
    if (this.#lines > 0 && (this.#hurryAt === undefined || at < this.#hurryAt)) this.#hurryAt = at;
  }

  /** Changes the age bound from now on; the current chunk is due by the new one (at once, if it is older). */
  setFlushInterval(ms: number): void {
    this.#flushIntervalMs = ms;
  }

  isDue(now: number): boolean {
    const due = this.dueAt();
    return due !== undefined && now >= due;
  }

  /** Seals the current chunk (possibly empty) and starts a new one. */
  take(now: number): SealedBody {
    const sealed: SealedBody = { body: this.#buffer.subarray(0, this.#length), lines: this.#lines, startTime: this.#lines === 0 ? now : this.#startTime };
    // The sealed body keeps its memory until it is gzipped; the next chunk gets a fresh buffer.
    this.#startOver(this.#length > 0 ? this.#allocate(0) : this.#buffer);
    return sealed;
  }

  /** A sealed body is done with (gzipped): its memory may hold the next chunk. */
  recycle(body: Buffer): void {
    const whole = Buffer.from(body.buffer, 0, body.buffer.byteLength);
    if (whole.length === this.#standardSize() && this.#spare.length < 2) this.#spare.push(whole);
  }

  #standardSize(): number {
    // Room for a full chunk plus one more frame of an average line, so most chunks never grow.
    return this.#options.maxChunkBytes + maxFrameBytes(4096);
  }

  #allocate(atLeast: number): Buffer {
    if (atLeast <= this.#standardSize() && this.#spare.length > 0) return this.#spare.pop()!;
    return Buffer.allocUnsafeSlow(Math.max(atLeast, this.#standardSize()));
  }

  /** Makes room for a frame of `size` bytes: seals the chunk first when the frame would take it past its bound. */
  #makeRoom(size: number, seal: (body: SealedBody) => void): void {
    if (this.#lines > 0 && this.#length + size > this.#options.maxChunkBytes) this.#sealAndSwap(this.#allocate(size), seal);
    if (this.#length + size > this.#buffer.length) this.#grow(size);
  }

  /** Seals the chunk so far and goes on with an empty one in `next`. */
  #sealAndSwap(next: Buffer, seal: (body: SealedBody) => void): void {
    seal({ body: this.#buffer.subarray(0, this.#length), lines: this.#lines, startTime: this.#startTime });
    this.#startOver(next);
  }

  /** An empty chunk in `buffer`. */
  #startOver(buffer: Buffer): void {
    this.#buffer = buffer;
    this.#length = 0;
    this.#lines = 0;
    this.#hurryAt = undefined;
  }

  /** Only the first frame of an empty chunk can be larger than its buffer: it fills the chunk alone. */
  #grow(need: number): void {
    const bigger = Buffer.allocUnsafeSlow(this.#length + need);
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}
