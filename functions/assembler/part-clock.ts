import { DeadlineError } from '../../shared/core/errors.js';

/**
 * When to stop: after a part, once another part would likely not be done before the deadline
 * (the last part's time is the guess); an invocation that reaches the deadline plus half the
 * headroom without a part boundary fails (its message is retried from the same state).
 */
export class PartClock {
  readonly #now: () => number;
  readonly #deadlineAt: number;
  readonly #hardDeadlineAt: number;
  #lastPartAt: number;

  constructor(now: () => number, deadlineAt: number, headroomMs: number) {
    this.#now = now;
    this.#deadlineAt = deadlineAt;
    this.#hardDeadlineAt = deadlineAt + headroomMs / 2;
    this.#lastPartAt = now();
  }

  /** A part was uploaded: true when the build should stop here. */
  partDone(): boolean {
    const now = this.#now();
    const took = now - this.#lastPartAt;
    this.#lastPartAt = now;
    return now + took >= this.#deadlineAt;
  }

  checkHard(jobId: string): void {
    if (this.#now() >= this.#hardDeadlineAt) throw new DeadlineError(`Deadline reached between parts while archiving job ${jobId}`);
  }
}
