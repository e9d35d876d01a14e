import {
  afterWatchRead,
  adaptsToWatching,
  flushCadence,
  CadenceReason,
  nextReadDelay,
  UNWATCHED,
  pollPolicy,
  type Cadence,
  type CadencePolicy,
  type PollPolicy,
  type WatchRead,
  type WatchState,
} from '../core/watch/index.js';

export interface FlushCadenceOptions {
  policy: CadencePolicy;
  /** Mean delay between two reads of the signal while the job is idle and prints (jittered ±25 %); fresh, `WatchDefaults.freshPollIntervalMs` or this if longer. */
  pollIntervalMs: number;
  /** One read of the watch signal; never throws (s3WatchReader). */
  read: () => Promise<WatchRead>;
  /** Called whenever the cadence changes (not for the initial one, {@link FlushCadenceKeeper.current}). */
  onChange: (cadence: Cadence, previous: Cadence) => void;
  /** A read failed (the cadence stays as it was). */
  onReadFailed?: (error: Error) => void;
  now?: () => number;
  random?: () => number;
}

/**
 * Keeps the shipper's flush interval right for whether anyone watches the job (docs/shipper.md,
 * "Fresh when watched"): reads the signal at start, then one read at a time when
 * {@link nextReadDelay} says — about every `pollIntervalMs` while the job is idle and prints
 * ({@link noteOutput}) or may still hold lines it printed, not at all while it is silent with
 * nothing held, less often while it is fresh — and
 * decides again at the end of the fresh start; the decision itself is {@link flushCadence}. Reads
 * nothing at all when the policy never adapts (`idleFlushIntervalMs` 0 or not longer).
 *
 * @example
 * const keeper = new FlushCadenceKeeper({ policy, pollIntervalMs: 10_000, read, onChange: (c) => framer.setFlushInterval(c.intervalMs) });
 * const framer = new Framer({ …, flushIntervalMs: keeper.current.intervalMs });
 * keeper.start(); …; keeper.stop();
 */
export class FlushCadenceKeeper {
  readonly #o: FlushCadenceOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #startedAt: number;
  readonly #poll: PollPolicy;
  #watch: WatchState = UNWATCHED;
  #current: Cadence;
  #pollTimer: NodeJS.Timeout | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #lastReadAt = 0;
  /** Output came since the last read began. */
  #output = false;
  /**
   * Until when lines printed before the last read may still be held unsealed (that read's start
   * plus the idle flush interval, the longest a chunk waits): a watch that starts while the job is
   * silent still finds them.
   */
  #heldUntil = 0;
  /** No read is scheduled until the job prints ({@link nextReadDelay} said so). */
  #awaitingOutput = false;
  #started = false;
  #stopped = false;
  /** Reads of the signal made, and how many failed. */
  reads = 0;
  failedReads = 0;

  constructor(options: FlushCadenceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#startedAt = this.#now();
    this.#poll = pollPolicy(options.pollIntervalMs);
    this.#current = this.#decide();
  }

  get current(): Cadence {
    return this.#current;
  }

  start(): void {
    if (!adaptsToWatching(this.#o.policy) || this.#stopped) return;
    const { freshStartMs } = this.#o.policy;
    if (freshStartMs > 0) this.#startTimer = unref(setTimeout(() => this.#update(), freshStartMs));
    this.#started = true;
    this.#read();
  }

  /** The job printed: cheap enough to call on every write. */
  noteOutput(): void {
    if (this.#output) return;
    this.#output = true;
    if (this.#awaitingOutput) this.#schedule();
  }

  /** Stops reading (a read in flight is not waited for: closing never waits on the signal). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#startTimer);
  }

  /** Resolves once the read in flight, if any, is over (for tests). */
  settled(): Promise<void> {
    return this.#reading ?? Promise.resolve();
  }

  #read(): void {
    if (this.#output) this.#heldUntil = this.#now() + this.#o.policy.idleFlushIntervalMs;
    this.#output = false;
    const read = this.#o.read().catch((error: unknown): WatchRead => ({ kind: 'failed', error: error as Error }));
    this.#reading = read.then((read) => {
      this.reads++;
      if (read.kind === 'failed') {
        this.failedReads++;
        this.#o.onReadFailed?.(read.error);
      }
      this.#lastReadAt = this.#now();
      this.#reading = undefined;
      this.#watch = afterWatchRead(this.#watch, read, this.#lastReadAt);
      this.#update();
      this.#schedule();
    });
  }

  /** (Re)plans the next read from the current cadence; none while one is in flight (it plans when it ends). */
  #schedule(): void {
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#awaitingOutput = false;
    if (this.#stopped || !this.#started || this.#reading) return;
    const delay = nextReadDelay(this.#poll, {
      fresh: this.#current.reason !== CadenceReason.unwatched,
      output: this.#output || this.#now() < this.#heldUntil,
      sinceReadMs: this.#now() - this.#lastReadAt,
      random: this.#random(),
    });
    if (delay === undefined) this.#awaitingOutput = true;
    else this.#pollTimer = unref(setTimeout(() => this.#read(), delay));
  }

  #update(): void {
    if (this.#stopped) return;
    const next = this.#decide();
    const previous = this.#current;
    if (next.intervalMs === previous.intervalMs && next.reason === previous.reason) return;
    this.#current = next;
    this.#o.onChange(next, previous);
    this.#schedule();
  }

  #decide(): Cadence {
    return flushCadence(this.#o.policy, { startedAt: this.#startedAt, now: this.#now(), watch: this.#watch });
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}
