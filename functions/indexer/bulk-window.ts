import type { Slots } from '../../shared/core/batch/index.js';
import { ConfirmedPrefix, type BulkBatch, type PositionedBatch } from '../../shared/core/ingest/index.js';
import type { RejectedItems } from './send-batch.js';

/**
 * The bulk requests of one chunk that are in flight, and the prefix of its lines they confirmed.
 * Each request holds one of the invocation's {@link Slots}: submitting waits for a free one, so
 * reading the chunk pauses while the cluster is busy, and every chunk of the invocation shares
 * the same bound. The first failure stops further submits and is thrown by {@link drain}.
 *
 * @example
 * const window = new BulkWindow({ start: 0, slots, send: (batch) => sendBatch(batch, …) });
 * await window.submit(batcher.add(line));
 * await window.drain();
 * window.confirmed; // every line position below it is indexed
 */
export class BulkWindow {
  readonly rejected: RejectedItems = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #prefix: ConfirmedPrefix;
  readonly #slots: Slots;
  readonly #send: (batch: BulkBatch) => Promise<RejectedItems>;
  #failure: unknown;

  constructor(o: { start: number; slots: Slots; send: (batch: BulkBatch) => Promise<RejectedItems> }) {
    this.#prefix = new ConfirmedPrefix(o.start);
    this.#slots = o.slots;
    this.#send = o.send;
  }

  async submit(batch: PositionedBatch | undefined): Promise<void> {
    if (!batch) return;
    await this.#slots.acquire();
    if (this.#failure !== undefined) {
      this.#slots.release();
      throw this.#failure;
    }
    const ticket = this.#prefix.sent(batch.end);
    const sending: Promise<void> = this.#send(batch.batch)
      .then(
        (rejected) => {
          this.rejected.push(...rejected);
          this.#prefix.done(ticket, rejected.length === 0);
        },
        (error: unknown) => {
          this.#failure ??= error;
        },
      )
      .finally(() => {
        this.#inFlight.delete(sending);
        this.#slots.release();
      });
    this.#inFlight.add(sending);
  }

  /** Waits for every request; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#inFlight);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Keeps the first failure of the chunk (e.g. one that stopped the final submit). */
  fail(error: unknown): void {
    this.#failure ??= error;
  }

  /** Every line position below this is indexed (or was already there). */
  get confirmed(): number {
    return this.#prefix.position;
  }
}
