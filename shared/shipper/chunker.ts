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

/**
 * Groups encoded frames into chunk bodies, bounded by uncompressed size and by age. Pure: the
 * caller passes the time, asks {@link isFull}/{@link isDue} and calls {@link take} to seal.
 */
export class Chunker {
  readonly #options: ChunkerOptions;
  #frames: string[] = [];
  #bytes = 0;
  #startTime = 0;

  constructor(options: ChunkerOptions) {
    this.#options = options;
  }

  get lines(): number {
    return this.#frames.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** True when `frame` would push a non-empty chunk past its size bound: seal first. */
  wouldOverflow(frame: string): boolean {
    return this.#frames.length > 0 && this.#bytes + Buffer.byteLength(frame) + 1 > this.#options.maxChunkBytes;
  }

  add(frame: string, time: number): void {
    if (this.#frames.length === 0) this.#startTime = time;
    this.#frames.push(frame);
    this.#bytes += Buffer.byteLength(frame) + 1;
  }

  isFull(): boolean {
    return this.#bytes >= this.#options.maxChunkBytes;
  }

  /** When the current chunk must be sealed by age, or undefined when it is empty. */
  dueAt(): number | undefined {
    return this.#frames.length === 0 ? undefined : this.#startTime + this.#options.flushIntervalMs;
  }

  isDue(now: number): boolean {
    const due = this.dueAt();
    return due !== undefined && now >= due;
  }

  take(now: number): SealedBody {
    const sealed: SealedBody = {
      body: this.#frames.length === 0 ? Buffer.alloc(0) : Buffer.from(this.#frames.join('\n') + '\n', 'utf8'),
      lines: this.#frames.length,
      startTime: this.#frames.length === 0 ? now : this.#startTime,
    };
    this.#frames = [];
    this.#bytes = 0;
    return sealed;
  }
}
