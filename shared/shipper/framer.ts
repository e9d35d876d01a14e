import type { Frame, FrameStream } from '../core/contract/index.js';
import { Scrubber, StreamScrubber, type RedactionCounts, type ScrubberOptions } from '../core/scrub/index.js';
import { Chunker, type SealedBody } from './chunker.js';
import { EventMarker, type EventMarkerOptions } from './event-marker.js';
import { GzipPool } from './gzip-pool.js';
import { LineCapture, type CapturedLine } from './line-capture.js';
import { isErrorLine } from '../core/watch/index.js';

const EMPTY = Buffer.alloc(0);

/** A sealed chunk, gzipped, in seq order. */
export interface FramedChunk {
  /** The gzip body. */
  body: Buffer;
  lines: number;
  /** Uncompressed bytes of the body. */
  rawBytes: number;
  /** Capture time of the first line (epoch ms); the seal time for an empty chunk. */
  startTime: number;
  /** The line number after this chunk's last line. */
  nextLine: number;
  /** The last chunk, sealed by {@link Framer.end}. */
  final: boolean;
  /** Lanes whose event goes on into the next chunk (`open-events`); undefined when events are not marked. */
  openLanes: string[] | undefined;
  /** Secrets redacted since the previous chunk, by kind. */
  redactions: RedactionCounts;
}

export interface FramerOptions {
  maxChunkBytes: number;
  flushIntervalMs: number;
  /**
   * While the interval is longer than this (nobody watches the job), a chunk with an error-level
   * line in it is sealed this long after that line ({@link isErrorLine}); default `flushIntervalMs`.
   */
  errorFlushIntervalMs?: number | undefined;
  maxLineBytes: number;
  gzipLevel: number;
  /** Number of the first line this framer captures (resumed from the spool state). */
  firstLine: number;
  /** Mark multi-line events in the frames (docs/chunk-contract.md); undefined = no marks. */
  events?: EventMarkerOptions | undefined;
  /** Secrets to replace before a line is framed (values and the built-in patterns); none when absent. */
  redact?: ScrubberOptions | undefined;
  /** Receives every chunk, in seq order. */
  onChunk: (chunk: FramedChunk) => void;
  onError: (error: Error) => void;
  /** Called whenever a gzip finishes (the backlog shrank). */
  onGzipped?: () => void;
  now?: () => number;
}

/**
 * Line capture → frames → chunk bodies → gzip, for both streams of one source: the part of the
 * shipper that costs CPU per byte. Runs in whichever thread owns it (the shipper's, or a framing
 * worker's); gzip runs on the libuv thread pool, several chunks at a time, and chunks come out in
 * seq order. A chunk is sealed by size as lines arrive and by age on a timer.
 */
export class Framer {
  readonly #o: FramerOptions;
  readonly #now: () => number;
  readonly #captures: Record<FrameStream, LineCapture>;
  readonly #chunker: Chunker;
  readonly #gzipPool: GzipPool;
  readonly #events: EventMarker | undefined;
  /** Per stream: secrets are replaced between the line capture and the frame (none without `redact`). */
  readonly #scrubbers: Record<FrameStream, StreamScrubber> | undefined;
  readonly #scrubber: Scrubber | undefined;
  /** Redaction counts already reported with a chunk. */
  #reported: RedactionCounts = {};
  #nextLine: number;
  /** Lines in chunks already sealed: the next chunk starts at `firstLine + sealedLines`. */
  #sealedLines = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #errorFlushIntervalMs: number;
  /** The interval is longer than `errorFlushIntervalMs`: error lines hurry their chunk. */
  #hurryErrors: boolean;
  /** Chunks come out in seq order through this chain, whatever order their gzips finish in. */
  #emitting: Promise<void> = Promise.resolve();
  #gzipBacklog = 0;
  #ended = false;
  /**
   * The frame being added, filled in place for every line: the chunker writes it into the chunk's
   * buffer and keeps nothing of it, so no object is made per line.
   */
  readonly #frame: Frame = { time: 0, stream: 'stdout', line: 0, bytes: EMPTY, terminator: '\n', mark: undefined };
  readonly #addStdout = (line: CapturedLine) => this.#addLine(line, 'stdout');
  readonly #addStderr = (line: CapturedLine) => this.#addLine(line, 'stderr');
  readonly #emitStdout: (line: CapturedLine) => void;
  readonly #emitStderr: (line: CapturedLine) => void;
  readonly #seal = (sealed: SealedBody) => this.#gzip(sealed, false);

  constructor(options: FramerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#nextLine = options.firstLine;
    this.#errorFlushIntervalMs = options.errorFlushIntervalMs ?? options.flushIntervalMs;
    this.#hurryErrors = options.flushIntervalMs > this.#errorFlushIntervalMs;
    this.#captures = { stdout: new LineCapture(options.maxLineBytes), stderr: new LineCapture(options.maxLineBytes) };
    this.#chunker = new Chunker({ maxChunkBytes: options.maxChunkBytes, flushIntervalMs: options.flushIntervalMs });
    this.#gzipPool = new GzipPool(options.gzipLevel);
    this.#events = options.events ? new EventMarker(options.events) : undefined;
    const scrubber = options.redact ? new Scrubber(options.redact) : undefined;
    this.#scrubber = scrubber && !scrubber.idle ? scrubber : undefined;
    const scrubbers = this.#scrubber ? { stdout: new StreamScrubber(this.#scrubber, options), stderr: new StreamScrubber(this.#scrubber, options) } : undefined;
    this.#scrubbers = scrubbers;
    this.#emitStdout = scrubbers ? (line) => scrubbers.stdout.line(line, this.#addStdout) : this.#addStdout;
    this.#emitStderr = scrubbers ? (line) => scrubbers.stderr.line(line, this.#addStderr) : this.#addStderr;
  }

  /** Uncompressed bytes of sealed chunks still being gzipped. */
  get gzipBacklog(): number {
    return this.#gzipBacklog;
  }

  /** Bytes held in memory and not yet out as a gzip chunk (the same as {@link gzipBacklog} here). */
  get bufferedBytes(): number {
    return this.#gzipBacklog;
  }

  /**
   * Frames `data`. With `reuse`, the caller will overwrite `data` once this returns, so nothing
   * keeps pointing into it (a partial line is copied).
   */
  write(stream: FrameStream, data: Buffer, time: number, reuse = false): void {
    if (this.#ended) return;
    const capture = this.#captures[stream];
    this.#scrubbers?.[stream].scan(data);
    capture.push(data, time, stream === 'stdout' ? this.#emitStdout : this.#emitStderr);
    if (reuse) capture.detach();
    this.#armTimer();
  }

  /**
   * Changes how long a chunk may wait after its first line (fresh when watched, docs/shipper.md):
   * the current chunk is sealed by the new bound — at once when it is already older.
   */
  setFlushInterval(ms: number): void {
    if (this.#ended) return;
    this.#chunker.setFlushInterval(ms);
    this.#hurryErrors = ms > this.#errorFlushIntervalMs;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armTimer();
  }

  /** Flushes both streams and seals what is left as the final chunk (possibly empty); resolves once it has come out. */
  async end(): Promise<void> {
    if (this.#ended) return this.#emitting;
    this.#ended = true;
    clearTimeout(this.#timer);
    const now = this.#now();
    this.#captures.stdout.end(now, this.#emitStdout);
    this.#captures.stderr.end(now, this.#emitStderr);
    this.#scrubbers?.stdout.end(this.#addStdout);
    this.#scrubbers?.stderr.end(this.#addStderr);
    this.#gzip(this.#chunker.take(now), true);
    await this.#emitting;
    this.#gzipPool.close();
  }

  #addLine(line: CapturedLine, stream: FrameStream): void {
    const mark = this.#events?.mark(stream, line.bytes, line.terminator, line.time);
    const frame = this.#frame;
    frame.time = line.time;
    frame.stream = stream;
    frame.line = this.#nextLine++;
    frame.bytes = line.bytes;
    frame.terminator = line.terminator;
    frame.mark = mark;
    this.#chunker.add(frame, this.#seal);
    frame.bytes = EMPTY;
    if (this.#hurryErrors) {
      // Once an error line has hurried the chunk, later lines (no earlier in time) cannot hurry it more: they are not read.
      const at = line.time + this.#errorFlushIntervalMs;
      const hurried = this.#chunker.hurriedAt();
      if ((hurried === undefined || at < hurried) && isErrorLine(line.bytes)) this.#hurry(at);
    }
  }

  /** Brings the current chunk's seal forward to `at` (the armed timer may be for later). */
  #hurry(at: number): void {
    const before = this.#chunker.dueAt();
    this.#chunker.hurry(at);
    if (this.#chunker.dueAt() === before || this.#ended) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armTimer();
  }

  #armTimer(): void {
    const due = this.#chunker.dueAt();
    if (due === undefined || this.#timer || this.#ended) return;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, due - this.#now()));
  }

  /** Seals a chunk that is due by age — a little later while an event in it may still be printing. */
  #onTimer(): void {
    this.#timer = undefined;
    if (this.#ended) return;
    const now = this.#now();
    const due = this.#chunker.dueAt();
    if (due !== undefined && now >= due) {
      const sealAt = this.#events ? this.#events.sealTime(due, now) : due;
      if (now < sealAt) {
        this.#timer = setTimeout(() => this.#onTimer(), sealAt - now);
        return;
      }
      this.#gzip(this.#chunker.take(now), false);
    }
    this.#armTimer();
  }

  #gzip(sealed: SealedBody, final: boolean): void {
    const rawBytes = sealed.body.length;
    const openLanes = this.#events ? (final ? [] : this.#events.sealed()) : undefined;
    this.#sealedLines += sealed.lines;
    const nextLine = this.#o.firstLine + this.#sealedLines;
    const redactions = this.#takeRedactions();
    this.#gzipBacklog += rawBytes;
    const compressed = this.#gzipPool.compress(sealed.body).finally(() => {
      this.#gzipBacklog -= rawBytes;
      if (rawBytes > 0) this.#chunker.recycle(sealed.body);
      this.#o.onGzipped?.();
    });
    // Attach a handler now: a gzip failure must not surface as an unhandled rejection before its turn.
    compressed.catch(() => undefined);
    this.#emitting = this.#emitting.then(async () => {
      try {
        const body = await compressed;
        this.#o.onChunk({ body, lines: sealed.lines, rawBytes, startTime: sealed.startTime, nextLine, final, openLanes, redactions });
      } catch (error) {
        this.#o.onError(error as Error);
      }
    });
  }

  /** Redactions made since the last chunk was sealed. */
  #takeRedactions(): RedactionCounts {
    if (!this.#scrubber) return {};
    const delta: RedactionCounts = {};
    for (const [kind, n] of Object.entries(this.#scrubber.counts)) {
      const since = n - (this.#reported[kind] ?? 0);
      if (since > 0) delta[kind] = since;
    }
    this.#reported = { ...this.#scrubber.counts };
    return delta;
  }
}
