/**
 * A counting semaphore: at most `size` holders at once, the rest wait in arrival order. The
 * indexer takes one slot per `_bulk` request, so an invocation never has more requests in flight
 * than `BULK_CONCURRENCY`, however many records and chunks it works on at once.
 *
 * @example
 * const slots = new Slots(2);
 * await slots.acquire();
 * send(batch).finally(() => slots.release());
 */
export class Slots {
  readonly #waiting: Array<() => void> = [];
  #free: number;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Slots needs a positive size, got ${size}`);
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }

  /** Slots taken right now. */
  get inUse(): number {
    return this.size - this.#free;
  }
}
