/**
 * The live tail while a job runs: `lines?after=<next>&wait=20` in a loop. It continues from the
 * window's last `next`, so a dropped connection loses nothing and repeats nothing; it stops when
 * the job is complete. When the window is not at the end (the person scrolled away), it leaves
 * new lines to be paged in by scrolling and only watches the job's status.
 */
import { isAbort, type LogsApi } from './api.js';
import { sleep } from './sleep.js';
import type { JobSummary, LinesPage } from './types.js';
import type { LogView } from './view.js';

const WAIT_SECONDS = 20;
const STATUS_POLL_MS = 5000;
const MAX_BACKOFF_MS = 10_000;

export interface TailDeps {
  api: LogsApi;
  view: LogView;
  /** The job finished: the fresh summary (exit code). */
  finished(summary: JobSummary): void;
  /** The job printed these lines (whether shown yet or not). */
  grew(page: LinesPage): void;
  /** Lines arrived while the window was not at the end. */
  missed(count: number): void;
  /** Connection trouble (null when it is back). */
  trouble(error: unknown | null): void;
}

export class Tail {
  private readonly controller = new AbortController();

  constructor(private readonly deps: TailDeps) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.controller.abort();
  }

  private async loop(): Promise<void> {
    let backoff = 1000;
    while (!this.controller.signal.aborted) {
      try {
        const done = await this.step();
        this.deps.trouble(null);
        backoff = 1000;
        if (done) return;
      } catch (error) {
        if (isAbort(error) || this.controller.signal.aborted) return;
        this.deps.trouble(error);
        await sleep(backoff, this.controller.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** One poll; true when the job is complete and everything is read. */
  private async step(): Promise<boolean> {
    const { api, view } = this.deps;
    const window = view.window;
    if (!window || window.hasAfter) {
      await sleep(STATUS_POLL_MS, this.controller.signal);
      return this.finishIfComplete(await api.summary(this.controller.signal));
    }
    const cursor = window.next;
    const page = await api.lines({ anchor: { after: cursor }, filters: window.filters, wait: WAIT_SECONDS, limit: 1000, signal: this.controller.signal });
    if (view.window !== window || window.next !== cursor) return false; // the view moved meanwhile
    if (page.lines.length > 0) this.deps.grew(page);
    if (page.lines.length > 0 && !view.following) {
      // Leave them to be paged in where the person is: the window now has lines after it.
      window.hasAfter = true;
      this.deps.missed(page.lines.length);
      view.rebuild();
      return false;
    }
    if (page.lines.length > 0) view.appendLive(page);
    if (page.status === 'complete' && !page.hasAfter) return this.finishIfComplete(await api.summary(this.controller.signal));
    return false;
  }

  private finishIfComplete(summary: JobSummary): boolean {
    if (summary.status !== 'complete') return false;
    this.deps.finished(summary);
    return true;
  }
}
