import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ChunkFormat, encodeFrame } from '../core/index.js';
import { Chunker } from './chunker.js';
import { OverflowPolicy, PRODUCER } from './constants.js';
import { LineCapture, type CapturedLine } from './line-capture.js';
import { resolveShipperOptions, spoolPath, type ResolvedShipperOptions } from './options.js';
import { Spool, type SpoolState } from './spool.js';
import type { ExitInfo, OutputStream, ShipperEvent, ShipperOptions, ShipperSummary } from './types.js';
import { JobMarkers } from './job-markers.js';
import { Uploader } from './uploader.js';

const gzipAsync = promisify(gzip);

/**
 * Captures a process's output line by line into `framed-v1` gzip chunks on S3 (docs/shipper.md).
 * Every sealed chunk is written to the spool first and uploaded from there in order, so S3
 * trouble never blocks {@link write} and a restart with the same job and source resumes.
 *
 * @example
 * const shipper = await Shipper.open({ jobId: 'job-42', bucket: 'joblogs-logs-dev', spoolDir: '/var/spool/joblogs', s3: new S3Client({}) });
 * child.stdout.on('data', (data) => shipper.write('stdout', data));
 * const summary = await shipper.close({ exitCode: 0 });
 */
export class Shipper {
  readonly #o: ResolvedShipperOptions;
  readonly #spool: Spool;
  readonly #uploader: Uploader;
  readonly #markers: JobMarkers;
  readonly #state: SpoolState;
  readonly #captures: Record<OutputStream, LineCapture>;
  readonly #chunker: Chunker;
  readonly #stats: ShipperSummary = { lines: 0, bytes: 0, chunks: 0, uploaded: 0, retries: 0, spooled: 0, dropped: 0, pending: 0 };
  /** Sealed chunks are gzipped concurrently but spooled strictly in seq order through this chain. */
  #spooling: Promise<void> = Promise.resolve();
  /** Sealed chunks not yet on disk: (uncompressed) bytes, for the `block` bound. */
  #inMemoryBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #roomWaiters: Array<() => void> = [];
  #closed: Promise<ShipperSummary> | undefined;
  /** Chunks found in the spool at open: already counted as spooled. */
  readonly #resumed = new Set<number>();
  readonly #emitLine = (line: CapturedLine, stream: OutputStream) => this.#addLine(line, stream);
  readonly #emitStdout = (line: CapturedLine) => this.#emitLine(line, 'stdout');
  readonly #emitStderr = (line: CapturedLine) => this.#emitLine(line, 'stderr');

  private constructor(o: ResolvedShipperOptions, spool: Spool, state: SpoolState) {
    this.#o = o;
    this.#spool = spool;
    this.#state = state;
    this.#captures = { stdout: new LineCapture(o.maxLineBytes), stderr: new LineCapture(o.maxLineBytes) };
    this.#chunker = new Chunker({ maxChunkBytes: o.maxChunkBytes, flushIntervalMs: o.flushIntervalMs });
    this.#markers = new JobMarkers({ ...o, producer: PRODUCER, onError: (error) => this.#event({ type: 'marker-failed', error }) });
    this.#uploader = new Uploader(spool, {
      ...o,
      onEvent: (e) => {
        if (e.type === 'upload-failed') this.#stats.retries++;
        this.#event(e);
      },
      onRetry: (entry) => {
        if (!this.#resumed.has(entry.seq)) this.#stats.spooled++;
      },
      onUploaded: (entry, attempts) => {
        this.#stats.uploaded++;
        const final = entry.metadata['final'] === 'true';
        if (final) this.#markers.final(entry.seq, entry.metadata);
        this.#event({ type: 'uploaded', key: this.#uploader.keyOf(entry), seq: entry.seq, lines: entry.lines, bytes: entry.bytes, attempts, final });
        this.#releaseRoom();
      },
    });
  }

  /** Validates the options, resumes this job and source's spool and numbering, starts uploading. */
  static async open(options: ShipperOptions): Promise<Shipper> {
    const o = resolveShipperOptions(options);
    const { spool, state } = await Spool.open(spoolPath(o));
    const shipper = new Shipper(o, spool, state);
    if (spool.entries.length > 0) {
      shipper.#stats.spooled += spool.entries.length;
      for (const entry of spool.entries) shipper.#resumed.add(entry.seq);
      shipper.#event({ type: 'resumed', chunks: spool.entries.length, nextSeq: state.nextSeq, nextLine: state.nextLine });
    }
    shipper.#markers.running();
    shipper.#uploader.start();
    return shipper;
  }

  get stats(): Readonly<ShipperSummary> {
    return { ...this.#stats, pending: this.#spool.entries.length };
  }

  /**
   * True while sealed chunks waiting for gzip and the spool exceed `maxBufferedBytes`, or, with
   * `overflow: 'block'`, while the spool is full: writers should wait ({@link waitForRoom}).
   */
  get blocked(): boolean {
    if (this.#inMemoryBytes >= this.#o.maxBufferedBytes) return true;
    return this.#o.overflow === OverflowPolicy.block && this.#spool.bytes + this.#inMemoryBytes >= this.#o.spoolMaxBytes;
  }

  /** Resolves when {@link blocked} is false. */
  waitForRoom(): Promise<void> {
    if (!this.blocked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * Captures output. Never throws and never waits: lines are framed and grouped here, sealed
   * chunks are gzipped, spooled and uploaded in the background. `time` defaults to now (epoch ms).
   */
  write(stream: OutputStream, data: Buffer, time: number = Date.now()): void {
    if (this.#closed || data.length === 0) return;
    try {
      this.#stats.bytes += data.length;
      this.#captures[stream].push(data, time, stream === 'stdout' ? this.#emitStdout : this.#emitStderr);
      this.#armTimer();
    } catch (error) {
      this.#event({ type: 'spool-error', error: error as Error });
    }
  }

  /**
   * Flushes everything, including the final chunk (`final`, `exit-code` or `signal`,
   * `line-count`, `dropped-lines`), and waits up to `closeTimeoutMs` for uploads; what is not
   * uploaded by then stays spooled for the next run with this job and source.
   */
  close(end: ExitInfo = {}): Promise<ShipperSummary> {
    this.#closed ??= this.#close(end);
    return this.#closed;
  }

  async #close(end: ExitInfo): Promise<ShipperSummary> {
    clearTimeout(this.#timer);
    const now = Date.now();
    this.#captures.stdout.end(now, this.#emitStdout);
    this.#captures.stderr.end(now, this.#emitStderr);
    this.#seal(end);
    await this.#spooling;
    const drained = this.#uploader.finish().then(() => this.#markers.settled());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#o.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#markers.stop();
      await this.#uploader.stop();
    }
    this.#releaseRoom(true);
    return this.stats;
  }

  #addLine(line: CapturedLine, stream: OutputStream): void {
    const frame = encodeFrame({ time: line.time, stream, line: this.#state.nextLine++, bytes: line.bytes, terminator: line.terminator });
    this.#stats.lines++;
    if (this.#chunker.wouldOverflow(frame)) this.#seal();
    this.#chunker.add(frame, line.time);
    if (this.#chunker.isFull()) this.#seal();
  }

  #armTimer(): void {
    const due = this.#chunker.dueAt();
    if (due === undefined || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      if (this.#chunker.isDue(Date.now())) this.#seal();
      this.#armTimer();
    }, Math.max(0, due - Date.now()));
  }

  /** Seals the current chunk (the final one when `end` is given) and queues it for the spool. */
  #seal(end?: ExitInfo): void {
    const sealed = this.#chunker.take(Date.now());
    if (sealed.lines === 0 && !end) return;
    const seq = this.#state.nextSeq++;
    const lineCount = this.#state.nextLine;
    this.#stats.chunks++;
    this.#inMemoryBytes += sealed.body.length;
    // Large output chunks: zlib hands each one back to the main thread, 16 KiB at a time by default.
    const compressed = gzipAsync(sealed.body, { level: this.#o.gzipLevel, chunkSize: 256 * 1024 });
    // Attach a handler now: a gzip failure must not surface as an unhandled rejection before its turn.
    compressed.catch(() => undefined);
    this.#spooling = this.#spooling.then(async () => {
      try {
        const body = await compressed;
        // Room is made before the final chunk's metadata is written, so its dropped-lines is complete.
        await this.#makeRoom(body.length);
        const metadata = this.#metadata(sealed.startTime, lineCount, end);
        await this.#spool.add({ seq, lines: sealed.lines, nextLine: lineCount, metadata }, body, { ...this.#state, nextSeq: seq + 1, nextLine: lineCount });
        this.#uploader.notify();
      } catch (error) {
        this.#event({ type: 'spool-error', error: error as Error });
      } finally {
        this.#inMemoryBytes -= sealed.body.length;
        this.#releaseRoom();
      }
    });
  }

  /** `drop-oldest`: deletes the oldest waiting chunks (never the one being uploaded) until `incoming` fits. */
  async #makeRoom(incoming: number): Promise<void> {
    if (this.#o.overflow !== OverflowPolicy.dropOldest) return;
    while (this.#spool.bytes + incoming > this.#o.spoolMaxBytes) {
      const victim = this.#spool.entries.find((e) => e !== this.#uploader.inFlight);
      if (!victim) return;
      await this.#spool.remove(victim);
      this.#stats.dropped += victim.lines;
      this.#state.droppedLines += victim.lines;
      this.#event({ type: 'dropped', key: this.#uploader.keyOf(victim), seq: victim.seq, lines: victim.lines });
    }
  }

  #metadata(startTime: number, lineCount: number, end: ExitInfo | undefined): Record<string, string> {
    const o = this.#o;
    const m: Record<string, string> = { format: ChunkFormat.framedV1, producer: PRODUCER, host: o.host, 'chunk-start': new Date(startTime).toISOString() };
    if (o.traceparent) m['traceparent'] = o.traceparent;
    if (o.dataset) m['dataset'] = o.dataset;
    if (o.service) m['service'] = o.service;
    if (o.containerId) m['container-id'] = o.containerId;
    if (o.owner) m['owner'] = o.owner;
    if (o.team) m['team'] = o.team;
    if (end) {
      m['final'] = 'true';
      if (end.signal) m['signal'] = end.signal;
      else if (end.exitCode !== undefined) m['exit-code'] = String(end.exitCode);
      m['line-count'] = String(lineCount);
      m['dropped-lines'] = String(this.#state.droppedLines);
    }
    return m;
  }

  #releaseRoom(all = false): void {
    if (!all && this.blocked) return;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }

  #event(event: ShipperEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // A faulty listener must not break shipping.
    }
  }
}
