import { ChunkFormat, EventMetadata, EVENTS_MARKED } from '../core/contract/index.js';
import { OverflowPolicy, PRODUCER } from './constants.js';
import { Framer, type FramedChunk } from './framer.js';
import { WorkerFraming } from './worker-framing.js';
import { resolveShipperOptions, spoolPath, type ResolvedShipperOptions } from './options.js';
import { Spool, type SpoolEntry, type SpoolState } from './spool.js';
import type { ExitInfo, OutputStream, ShipperEvent, ShipperOptions, ShipperSummary } from './types.js';
import { JobMarkers } from './job-markers.js';
import { Uploader } from './uploader.js';
import { watchKey } from '../core/watch/index.js';
import { FlushCadenceKeeper } from './flush-cadence.js';
import { s3WatchReader } from './watch-reader.js';

/**
 * Captures a process's output line by line into `framed-v1` gzip chunks on S3 (docs/shipper.md).
 * Framing and gzip run in a {@link Framer} (on this thread, or on a worker with
 * `framing: 'worker'`); every chunk is written to the spool first and uploaded from there in
 * order, so S3 trouble never blocks {@link write} and a restart with the same job and source resumes.
 *
 * @example
 * const shipper = await Shipper.open({ jobId: 'job-42', bucket: 'joblogs-logs-dev', spoolDir: '/var/spool/joblogs', s3: new SigV4ObjectClient() });
 * child.stdout.on('data', (data) => shipper.write('stdout', data));
 * const summary = await shipper.close({ exitCode: 0 });
 */
export class Shipper {
  readonly #o: ResolvedShipperOptions;
  readonly #spool: Spool;
  readonly #uploader: Uploader;
  readonly #markers: JobMarkers;
  readonly #state: SpoolState;
  readonly #framing: Framer | WorkerFraming;
  readonly #cadence: FlushCadenceKeeper;
  readonly #stats: ShipperSummary = {
    lines: 0,
    bytes: 0,
    chunks: 0,
    uploaded: 0,
    retries: 0,
    spooled: 0,
    dropped: 0,
    pending: 0,
    conflicts: 0,
    redactions: {},
  };
  /** Chunks are spooled strictly in seq order through this chain. */
  #spooling: Promise<void> = Promise.resolve();
  /** Gzip bodies handed over by the framer and not yet in the spool. */
  #unspooledBytes = 0;
  #roomWaiters: Array<() => void> = [];
  #exit: ExitInfo | undefined;
  #closed: Promise<ShipperSummary> | undefined;
  /** Chunks found in the spool at open: already counted as spooled. */
  readonly #resumed = new Set<number>();

  private constructor(o: ResolvedShipperOptions, spool: Spool, state: SpoolState) {
    this.#o = o;
    this.#spool = spool;
    this.#state = state;
    this.#cadence = new FlushCadenceKeeper({
      policy: o,
      pollIntervalMs: o.watchPollIntervalMs,
      read: s3WatchReader({ s3: o.s3, bucket: o.bucket, key: watchKey(o.jobId, o.watchPrefix), timeoutMs: Math.min(o.uploadTimeoutMs, 5_000), now: Date.now }),
      onChange: (cadence) => {
        this.#framing.setFlushInterval(cadence.intervalMs);
        this.#event({ type: 'cadence', ...cadence });
      },
      onReadFailed: (error) => this.#event({ type: 'watch-read-failed', error }),
    });
    const framer = {
      maxChunkBytes: o.maxChunkBytes,
      flushIntervalMs: this.#cadence.current.intervalMs,
      errorFlushIntervalMs: o.flushIntervalMs,
      maxLineBytes: o.maxLineBytes,
      gzipLevel: o.gzipLevel,
      firstLine: state.nextLine,
      events: o.events,
      redact: o.redact,
      onChunk: (chunk: FramedChunk) => this.#spoolChunk(chunk),
      onError: (error: Error) => this.#event({ type: 'spool-error', error }),
      onGzipped: () => this.#releaseRoom(),
    };
    this.#framing = o.framing === 'worker' ? new WorkerFraming({ ...framer, maxBufferedBytes: Math.ceil(o.maxBufferedBytes / 2) }) : new Framer(framer);
    this.#markers = new JobMarkers({ ...o, producer: PRODUCER, onError: (error) => this.#event({ type: 'marker-failed', error }) });
    this.#uploader = new Uploader(spool, {
      ...o,
      onEvent: (e) => {
        if (e.type === 'upload-failed') this.#stats.retries++;
        if (e.type === 'conflict') this.#stats.conflicts++;
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

  /**
   * Validates the options, locks and resumes this job and source's spool and numbering, starts
   * uploading. Throws {@link SpoolLockedError} while another shipper uses the same spool.
   */
  static async open(options: ShipperOptions): Promise<Shipper> {
    const o = resolveShipperOptions(options);
    const { spool, state, rejected } = await Spool.open(o.spoolDir, spoolPath(o));
    const shipper = new Shipper(o, spool, state);
    for (const file of rejected) shipper.#event({ type: 'spool-rejected', file });
    if (spool.entries.length > 0) {
      shipper.#stats.spooled += spool.entries.length;
      for (const entry of spool.entries) shipper.#resumed.add(entry.seq);
      shipper.#event({ type: 'resumed', chunks: spool.entries.length, nextSeq: state.nextSeq, nextLine: state.nextLine });
    }
    shipper.#markers.running();
    shipper.#uploader.start();
    shipper.#cadence.start();
    return shipper;
  }

  get stats(): Readonly<ShipperSummary> {
    return { ...this.#stats, redactions: { ...this.#stats.redactions }, pending: this.#spool.entries.length };
  }

  /**
   * True while output not yet in the spool (waiting for framing and gzip, or kept in memory
   * because the spool could not be written) exceeds `maxBufferedBytes`, or, with
   * `overflow: 'block'`, while the spool is full: writers should wait ({@link waitForRoom}).
   */
  get blocked(): boolean {
    const inMemory = this.#framing.bufferedBytes + this.#unspooledBytes + this.#spool.memoryBytes;
    if (inMemory >= this.#o.maxBufferedBytes) return true;
    return this.#o.overflow === OverflowPolicy.block && this.#spool.bytes + this.#unspooledBytes >= this.#o.spoolMaxBytes;
  }

  /** Resolves when {@link blocked} is false. */
  waitForRoom(): Promise<void> {
    if (!this.blocked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * Captures output. Never throws and never waits: lines are framed, grouped, gzipped, spooled
   * and uploaded in the background. `time` defaults to now (epoch ms).
   */
  write(stream: OutputStream, data: Buffer, time: number = Date.now()): void {
    if (this.#closed || data.length === 0) return;
    try {
      this.#stats.bytes += data.length;
      this.#framing.write(stream, data, time);
      this.#cadence.noteOutput();
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
    this.#exit = end;
    this.#cadence.stop();
    await this.#framing.end().catch((error: Error) => this.#event({ type: 'spool-error', error }));
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
    await this.#spool.release();
    this.#releaseRoom(true);
    return this.stats;
  }

  /** Gives a gzipped chunk its seq and queues it for the spool (in seq order). */
  #spoolChunk(chunk: FramedChunk): void {
    const seq = this.#state.nextSeq++;
    this.#state.nextLine = chunk.nextLine;
    this.#stats.chunks++;
    this.#stats.lines += chunk.lines;
    for (const [kind, n] of Object.entries(chunk.redactions)) {
      this.#stats.redactions[kind] = (this.#stats.redactions[kind] ?? 0) + n;
      this.#state.redactions = (this.#state.redactions ?? 0) + n;
    }
    this.#unspooledBytes += chunk.body.length;
    this.#spooling = this.#spooling.then(async () => {
      try {
        // Room is made before the final chunk's metadata is written, so its dropped-lines is complete.
        await this.#makeRoom(chunk.body.length);
        const metadata = this.#metadata(chunk, chunk.final ? (this.#exit ?? {}) : undefined);
        const header = { seq, lines: chunk.lines, nextLine: chunk.nextLine, metadata };
        const { entry, writeError } = await this.#spool.add(header, chunk.body, { ...this.#state, nextSeq: seq + 1, nextLine: chunk.nextLine });
        if (writeError) {
          this.#event({ type: 'spool-error', error: writeError });
          if (entry.body) await this.#dropFromMemory(entry);
        }
        this.#uploader.notify();
      } catch (error) {
        this.#event({ type: 'spool-error', error: error as Error });
      } finally {
        this.#unspooledBytes -= chunk.body.length;
        this.#releaseRoom();
      }
    });
  }

  /** `drop-oldest`: deletes the oldest waiting chunks (never the one being uploaded) until `incoming` fits. */
  async #makeRoom(incoming: number): Promise<void> {
    if (this.#o.overflow !== OverflowPolicy.dropOldest) return;
    while (this.#spool.bytes + incoming > this.#o.spoolMaxBytes) {
      const victim = this.#spool.entries.find((e) => e.body === undefined && e !== this.#uploader.inFlight);
      if (!victim) return;
      await this.#drop(victim);
    }
  }

  /**
   * `drop-oldest`: chunks the spool could not write wait in memory; above `maxBufferedBytes` the
   * oldest of them are dropped (and counted), as they would be from a full spool — never the one
   * being uploaded, nor the newest (`kept`).
   */
  async #dropFromMemory(kept: SpoolEntry): Promise<void> {
    if (this.#o.overflow !== OverflowPolicy.dropOldest) return;
    while (this.#spool.memoryBytes > this.#o.maxBufferedBytes) {
      const victim = this.#spool.entries.find((e) => e.body !== undefined && e !== this.#uploader.inFlight && e !== kept);
      if (!victim) return;
      await this.#drop(victim);
    }
  }

  async #drop(victim: SpoolEntry): Promise<void> {
    await this.#spool.remove(victim);
    this.#stats.dropped += victim.lines;
    this.#state.droppedLines += victim.lines;
    this.#event({ type: 'dropped', key: this.#uploader.keyOf(victim), seq: victim.seq, lines: victim.lines });
  }

  #metadata(chunk: FramedChunk, end: ExitInfo | undefined): Record<string, string> {
    const o = this.#o;
    const m: Record<string, string> = {
      format: ChunkFormat.framedV1,
      producer: PRODUCER,
      host: o.host,
      'chunk-start': new Date(chunk.startTime).toISOString(),
    };
    if (chunk.openLanes) {
      m[EventMetadata.marks] = EVENTS_MARKED;
      if (chunk.openLanes.length > 0) m[EventMetadata.openEvents] = chunk.openLanes.join(',');
    }
    if (o.traceparent) m['traceparent'] = o.traceparent;
    if (o.dataset) m['dataset'] = o.dataset;
    if (o.service) m['service'] = o.service;
    if (o.containerId) m['container-id'] = o.containerId;
    if (end) {
      m['final'] = 'true';
      if (end.signal) m['signal'] = end.signal;
      else if (end.exitCode !== undefined) m['exit-code'] = String(end.exitCode);
      m['line-count'] = String(chunk.nextLine);
      m['dropped-lines'] = String(this.#state.droppedLines);
      m['redactions'] = String(this.#state.redactions ?? 0);
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
