/**
 * One simulated job: a {@link Shipper} (the library, as a platform server uses it) fed by a
 * clock at the job's planned rate. It keeps only what the invariant and the freshness probes
 * need: each line's print time (the text is rebuilt from it) and which lines each uploaded chunk
 * holds, as the shipper's `uploaded` events report them.
 */
import { registerJob } from '../../shared/launcher/index.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { Shipper, type ShipperEvent, type ShipperSummary } from '../../shared/shipper/index.js';
import { documentId, documentIdPrefix } from '../../shared/core/ingest/index.js';
import { lineText, rateAt } from './mix.js';
import type { JobPlan } from './types.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

export interface UploadedChunk {
  key: string;
  seq: number;
  /** Line number (`n`) of the chunk's first frame. */
  firstLine: number;
  lines: number;
}

export interface JobSettings {
  bucket: string;
  dataset: string;
  spoolDir: string;
  s3: S3Client;
  /** The shipper's cadence: fresh (watched) and idle intervals, fresh start, signal reads. */
  flushIntervalMs: number;
  idleFlushIntervalMs: number;
  freshStartMs: number;
  watchPollIntervalMs: number;
  probeEveryMs: number;
  /** Called when a probe line's document id becomes known (its chunk is in S3). */
  onProbe: (id: string, printedAt: number) => void;
}

export class SimulatedJob {
  readonly plan: JobPlan;
  readonly #settings: JobSettings;
  #shipper: Shipper | undefined;
  /** Print time of every line, by line number. */
  #times = new Float64Array(1024);
  #printed = 0;
  /** Lines owed by the clock, fractional. */
  #due = 0;
  #lastTick: number | undefined;
  #nextProbeAt = 0;
  /** Probe lines not yet in an uploaded chunk: line number → print time. */
  readonly #probes = new Map<number, number>();
  readonly chunks: UploadedChunk[] = [];
  #nextFirstLine = 0;
  #finalSeen = false;
  /** What went wrong for this job's shipper (events the invariant check reports). */
  readonly anomalies: string[] = [];
  uploadRetries = 0;
  shipperErrors = 0;
  summary: ShipperSummary | undefined;

  constructor(plan: JobPlan, settings: JobSettings) {
    this.plan = plan;
    this.#settings = settings;
  }

  get printed(): number {
    return this.#printed;
  }

  /** True once the final chunk (`final=true`) is in S3. */
  get finalUploaded(): boolean {
    return this.#finalSeen;
  }

  async open(): Promise<void> {
    const s = this.#settings;
    // The launcher's part: the job is registered before it starts (its download file needs an owner).
    await registerJob({ s3: sdkObjectClient(s.s3), bucket: s.bucket, jobId: this.plan.jobId, owner: 'load', team: 'load' });
    this.#shipper = await Shipper.open({
      jobId: this.plan.jobId,
      bucket: s.bucket,
      dataset: s.dataset,
      service: `load-${this.plan.rateClass}`,
      spoolDir: s.spoolDir,
      s3: sdkObjectClient(s.s3),
      flushIntervalMs: s.flushIntervalMs,
      idleFlushIntervalMs: s.idleFlushIntervalMs,
      freshStartMs: s.freshStartMs,
      watchPollIntervalMs: s.watchPollIntervalMs,
      closeTimeoutMs: 120_000,
      onEvent: (event) => this.#onEvent(event),
    });
  }

  /** Prints the lines the clock owes since the last tick, at most `budget`; returns how many. */
  tick(now: number, elapsedMs: number, budget: number): number {
    if (!this.#shipper || elapsedMs < this.plan.startOffsetMs) return 0;
    const since = this.#lastTick ?? now;
    this.#lastTick = now;
    this.#due += (rateAt(this.plan, elapsedMs - this.plan.startOffsetMs) * (now - since)) / 1000;
    // The very first tick prints one line, so every job has output from the start.
    const count = Math.min(budget, this.#printed === 0 ? Math.max(1, Math.floor(this.#due)) : Math.floor(this.#due));
    if (count <= 0) return 0;
    this.#due = Math.max(0, this.#due - count);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.#printed++;
      if (n >= this.#times.length) {
        const grown = new Float64Array(this.#times.length * 2);
        grown.set(this.#times);
        this.#times = grown;
      }
      this.#times[n] = now;
      if (i === 0 && now >= this.#nextProbeAt) {
        this.#probes.set(n, now);
        this.#nextProbeAt = now + this.#settings.probeEveryMs;
      }
      parts.push(lineText(this.plan.jobId, n, now), '\n');
    }
    this.#shipper.write('stdout', Buffer.from(parts.join('')), now);
    return count;
  }

  async close(): Promise<void> {
    this.summary = await this.#shipper?.close({ exitCode: 0 });
  }

  /** The text of line `n` as it was printed. */
  line(n: number): string {
    return lineText(this.plan.jobId, n, this.#times[n]!);
  }

  #onEvent(event: ShipperEvent): void {
    if (event.type === 'upload-failed') this.uploadRetries++;
    else if (event.type === 'spool-error' || event.type === 'marker-failed') {
      this.shipperErrors++;
      if (this.anomalies.length < 3) this.anomalies.push(`${event.type}: ${event.error.message}`);
    } else if (event.type === 'dropped') {
      this.anomalies.push(`chunk ${event.seq} dropped (${event.lines} lines)`);
    } else if (event.type === 'uploaded') {
      // The uploader drains the spool strictly in seq order, so lines follow on from the previous chunk.
      if (event.seq !== this.chunks.length) this.anomalies.push(`chunk ${event.seq} uploaded after ${this.chunks.length} chunk(s)`);
      const chunk = { key: event.key, seq: event.seq, firstLine: this.#nextFirstLine, lines: event.lines };
      this.chunks.push(chunk);
      this.#nextFirstLine += event.lines;
      if (event.final) this.#finalSeen = true;
      this.#resolveProbes(chunk);
    }
  }

  #resolveProbes(chunk: UploadedChunk): void {
    if (this.#probes.size === 0) return;
    const prefix = documentIdPrefix(this.#settings.bucket, chunk.key);
    for (const [n, printedAt] of this.#probes) {
      if (n < chunk.firstLine || n >= chunk.firstLine + chunk.lines) continue;
      this.#probes.delete(n);
      this.#settings.onProbe(documentId(prefix, n - chunk.firstLine), printedAt);
    }
  }
}
