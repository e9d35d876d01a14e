/**
 * The run's figures per 10 s window — printed and indexed lines, chunk queue depth, the oldest
 * chunk message an indexer got, freshness p95 of the probes found, the load process's event-loop
 * delay — each also logged as one progress line.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FreshnessProber } from '../freshness.js';
import { percentiles } from '../stats.js';
import type { LoadFunctions } from './functions.js';
import type { LoadWindow } from './types.js';

export const WINDOW_MS = 10_000;

type EventLoopHistogram = ReturnType<typeof monitorEventLoopDelay>;

export class Timeline {
  readonly windows: LoadWindow[] = [];
  queueDepthMax = 0;
  readonly #functions: LoadFunctions;
  readonly #prober: FreshnessProber;
  readonly #printed: () => number;
  readonly #log: (line: string) => void;
  readonly #start: number;
  /** Event-loop delay per window, and over the whole run. */
  readonly #windowDelay: EventLoopHistogram = monitorEventLoopDelay({ resolution: 20 });
  readonly #runDelay: EventLoopHistogram = monitorEventLoopDelay({ resolution: 20 });
  #last: { at: number; printed: number; indexed: number; ages: number; fresh: number };

  constructor(o: { functions: LoadFunctions; prober: FreshnessProber; printed: () => number; log: (line: string) => void; start: number }) {
    this.#functions = o.functions;
    this.#prober = o.prober;
    this.#printed = o.printed;
    this.#log = o.log;
    this.#start = o.start;
    this.#last = { at: o.start, printed: 0, indexed: 0, ages: 0, fresh: 0 };
    this.#windowDelay.enable();
    this.#runDelay.enable();
  }

  /** True when a window has passed since the last one was taken. */
  get due(): boolean {
    return Date.now() - this.#last.at >= WINDOW_MS;
  }

  get eventLoopDelayP99Ms(): number {
    return this.#runDelay.percentile(99) / 1e6;
  }

  async take(): Promise<void> {
    const at = Date.now();
    const { counters } = this.#functions;
    const queues = await this.#functions.queues().catch(() => undefined);
    const ages = counters.sqsAges.slice(this.#last.ages);
    const fresh = this.#prober.found.slice(this.#last.fresh);
    const w: LoadWindow = {
      atS: Math.round((at - this.#start) / 1000),
      printed: this.#printed() - this.#last.printed,
      indexed: counters.indexed - this.#last.indexed,
      queueDepth: queues?.chunkDepth ?? -1,
      sqsAgeMaxMs: ages.reduce((m, a) => Math.max(m, a.ms), 0),
      freshnessP95Ms: fresh.length ? percentiles(fresh.map((f) => f.ms)).p95 : undefined,
      eventLoopP99Ms: this.#windowDelay.percentile(99) / 1e6,
    };
    this.#windowDelay.reset();
    this.queueDepthMax = Math.max(this.queueDepthMax, w.queueDepth);
    this.windows.push(w);
    const secs = (at - this.#last.at) / 1000;
    this.#log(
      `[load] t=${String(w.atS).padStart(4)} s  printed ${Math.round(w.printed / secs)}/s  indexed ${Math.round(w.indexed / secs)}/s  queue ${w.queueDepth}  ` +
        `sqs age max ${(w.sqsAgeMaxMs / 1000).toFixed(1)} s  freshness p95 ${w.freshnessP95Ms === undefined ? '–' : `${(w.freshnessP95Ms / 1000).toFixed(1)} s`}  event loop p99 ${w.eventLoopP99Ms.toFixed(0)} ms`,
    );
    this.#last = { at, printed: this.#printed(), indexed: counters.indexed, ages: counters.sqsAges.length, fresh: this.#prober.found.length };
  }

  stop(): void {
    this.#windowDelay.disable();
    this.#runDelay.disable();
  }
}
