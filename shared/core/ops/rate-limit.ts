/**
 * At most `perSecond` operations per second, smoothed (a token bucket of one second's worth):
 * {@link take} waits until `n` more are allowed. The clock and the sleep come in, so it is
 * tested without waiting.
 *
 * @example
 * const limit = new RateLimit(50, { now: Date.now, sleep: (ms) => setTimeout[promisify.custom](ms) });
 * for (const batch of batches) { await limit.take(batch.length); await send(batch); }
 */
export class RateLimit {
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, o: { now: () => number; sleep: (ms: number) => Promise<void> }) {
    if (!(perSecond > 0)) throw new RangeError(`A rate must be positive, got ${perSecond}`);
    this.#perSecond = perSecond;
    this.#now = o.now;
    this.#sleep = o.sleep;
    this.#tokens = perSecond;
    this.#at = o.now();
  }

  async take(n: number): Promise<void> {
    for (;;) {
      const now = this.#now();
      this.#tokens = Math.min(this.#perSecond, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
      this.#at = now;
      if (this.#tokens >= n || (n > this.#perSecond && this.#tokens >= this.#perSecond)) {
        this.#tokens -= n;
        return;
      }
      await this.#sleep(Math.ceil(((Math.min(n, this.#perSecond) - this.#tokens) / this.#perSecond) * 1000));
    }
  }
}
