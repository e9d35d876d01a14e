/**
 * When this container last asked the assembler for each job's partial file. Together with the
 * file's age (see `planDownload`) it keeps a UI that polls every few seconds from queueing an
 * assembly per poll. Other containers keep their own record; the assembler is idempotent, so an
 * occasional second request only costs one rebuild. Bounded: the oldest entries go first.
 */
export class AssemblyThrottle {
  readonly #requested = new Map<string, number>();
  constructor(readonly maxJobs = 1_000) {}

  lastRequestedAt(jobId: string): number | undefined {
    return this.#requested.get(jobId);
  }

  recordRequest(jobId: string, at: number): void {
    this.#requested.delete(jobId);
    this.#requested.set(jobId, at);
    if (this.#requested.size > this.maxJobs) this.#requested.delete(this.#requested.keys().next().value!);
  }
}
