/**
 * One view of a job's lines under one set of filters: the data flows one way, from a target or a
 * cursor to page fetches, into the bounded window, through the row builder, to the viewport.
 */
import { isAbort, type LogsApi } from './api.js';
import { sleep } from './sleep.js';
import { ApiError } from './errors.js';
import { exactSource, openWindow, PAGE, type Opened, type Target } from './loader.js';
import { buildRows, type Row } from './rows.js';
import type { Filters, JobSummary, LinesPage } from './types.js';
import type { BlockState, Placement, Viewport } from './viewport.js';
import type { LineWindow } from './window.js';

export interface ViewDeps {
  api: LogsApi;
  viewport: Viewport;
  summary(): JobSummary;
  filters(): Filters;
  options(): { showRedraws: boolean };
  failed(error: unknown): void;
  /** A request that had failed went through on a retry. */
  recovered(): void;
  /** The window or its rows changed (status line, selection). */
  changed(): void;
}

export interface ShowOptions {
  /** Rows between the viewport's top and the target (context above it). */
  rowsFromTop?: number;
  /** Keep the viewport where the person dragged it, and put the target there. */
  here?: boolean;
  /** With `here`: put the target at this scroll position instead (where a step asked for it). */
  at?: number;
}

export class LogView {
  window: LineWindow | null = null;
  rows: Row[] = [];
  following = false;
  private controller = new AbortController();
  private readonly extending = { before: false, after: false };
  private pendingJump: { fraction: number; at: number | undefined } | null = null;
  private jumping = false;
  private readonly fetchedRedraws = new Map<string, string[]>();

  constructor(private readonly deps: ViewDeps) {}

  /**
   * Opens the view at `target`; resolves with the row index of the target (or −1 if replaced
   * meanwhile or refused). A transient refusal (503, 429, network) is retried, as the API asks.
   */
  async show(target: Target, options: ShowOptions = {}): Promise<number> {
    this.controller.abort();
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const opened = await this.open(target, signal);
    if (!opened || signal.aborted) return -1;
    this.window = opened.window;
    this.rows = this.buildRows();
    const index = this.rowIndexFor(target, opened.index);
    this.deps.viewport.setRows(this.rows, this.blockState(), placementFor(target, index, options));
    this.deps.changed();
    return index;
  }

  private async open(target: Target, signal: AbortSignal): Promise<Opened | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const opened = await openWindow(attempt === 0 ? target : withoutPrefetch(target), {
          api: this.deps.api,
          filters: this.deps.filters(),
          summary: this.deps.summary(),
          signal,
        });
        if (attempt > 0) this.deps.recovered();
        return opened;
      } catch (error) {
        if (isAbort(error) || signal.aborted) return null;
        this.deps.failed(error);
        if (!(error instanceof ApiError && error.transient) || attempt >= MAX_RETRIES) return null;
        await sleep((error.retryAfter ?? 2 ** attempt) * 1000, signal);
      }
    }
  }

  /**
   * The person scrolled far from the loaded lines: open there (one jump at a time, the latest wins).
   * After a step, the target opens at the scroll position `at` it was asked from.
   */
  jump(fraction: number, at?: number): void {
    this.pendingJump = { fraction, at };
    if (this.jumping) return;
    this.jumping = true;
    void (async () => {
      let landed = false;
      while (this.pendingJump !== null) {
        const next = this.pendingJump;
        this.pendingJump = null;
        landed = (await this.show({ kind: 'fraction', fraction: next.fraction }, { here: true, at: next.at })) >= 0;
      }
      this.jumping = false;
      // The viewport's asks for more pages were refused while the jump ran: let it ask again from
      // where it is now (a wheel that went on past the rows that landed would otherwise show
      // nothing). Not after a refused jump: asking again at once would repeat it without end.
      if (landed) this.deps.viewport.recheck();
    })();
  }

  /** Loads the page before or after the window as the person nears its end. */
  async extend(direction: 'before' | 'after'): Promise<void> {
    const window = this.window;
    if (!window || this.extending[direction] || this.jumping) return;
    const anchor =
      direction === 'before' ? (window.hasBefore && window.prev ? { before: window.prev } : null) : window.hasAfter ? { after: window.next } : null;
    if (!anchor) return;
    this.extending[direction] = true;
    let page: LinesPage | null = null;
    try {
      page = await this.deps.api.lines({ anchor, filters: window.filters, limit: PAGE, signal: this.controller.signal });
    } catch (error) {
      if (!isAbort(error)) this.deps.failed(error);
    }
    this.extending[direction] = false;
    if (!page || this.window !== window) return;
    if (direction === 'before') window.prepend(page);
    else window.append(page);
    this.rebuild({ kind: 'keep' });
  }

  /** New lines from the live tail, appended when the window is at the end. */
  appendLive(page: LinesPage): void {
    this.window?.append(page);
    this.rebuild(this.following ? { kind: 'end' } : { kind: 'keep' });
  }

  /** Rows again from the window (an option changed, the job finished). */
  rebuild(placement: Placement = { kind: 'keep' }): void {
    if (!this.window) return;
    this.rows = this.buildRows();
    this.deps.viewport.setRows(this.rows, this.blockState(), placement);
    this.deps.changed();
    if (this.deps.options().showRedraws) void this.fetchVisibleRedraws();
  }

  stop(): void {
    this.controller.abort();
  }

  /** The row of a line cursor or line number, for selection and search. */
  rowIndexFor(target: Target, itemIndex: number): number {
    if (target.kind === 'line') {
      const index = this.rows.findIndex(
        (r) => r.kind !== 'footer' && r.line !== null && r.line >= target.line && (target.source === null || r.source === target.source),
      );
      if (index !== -1) return index;
    }
    const item = this.window?.items[itemIndex];
    if (!item) return target.kind === 'end' ? this.rows.length - 1 : 0;
    const exact = this.rows.findIndex((r) => r.kind === 'line' && (r.cursor === item.cursor || r.key === item.cursor));
    if (exact !== -1) return exact;
    const near = this.rows.findIndex((r) => r.kind !== 'footer' && r.source === item.source && r.line !== null && item.line !== null && r.line >= item.line);
    return Math.max(0, near);
  }

  private buildRows(): Row[] {
    const window = this.window!;
    const filters = window.filters;
    const rows = buildRows(window.items, {
      showRedraws: this.deps.options().showRedraws,
      fillGaps: filters.stream.length === 0 && filters.level.length === 0,
      atStart: !window.hasBefore,
      fetchedRedraws: this.fetchedRedraws,
    });
    const summary = this.deps.summary();
    if (!window.hasAfter && summary.status === 'complete') rows.push({ kind: 'footer', key: 'footer', text: finishedText(summary) });
    return rows;
  }

  private blockState(): BlockState {
    const window = this.window!;
    const summary = this.deps.summary();
    const first = window.items[0];
    const last = window.items[window.items.length - 1];
    const state = { hasBefore: window.hasBefore, hasAfter: window.hasAfter, rowsBefore: 0, rowsAfter: 0 };
    if (!first || !last) return state;
    const source = exactSource(summary, window.filters);
    if (source && first.line !== null && last.line !== null) {
      state.rowsBefore = window.hasBefore ? first.line : 0;
      state.rowsAfter = window.hasAfter ? Math.max(0, source.lines - last.line - (last.span ?? 1)) : 0;
      return state;
    }
    // A merged or filtered view has no dense numbers: place the window by capture time.
    const total = estimatedRows(summary, window.filters);
    const start = Date.parse(summary.startedAt);
    const span = Math.max(1, (summary.endedAt ? Date.parse(summary.endedAt) : Date.now()) - start);
    const fraction = (time: string): number => Math.min(1, Math.max(0, (Date.parse(time) - start) / span));
    state.rowsBefore = window.hasBefore ? Math.round(fraction(first.time) * total) : 0;
    state.rowsAfter = window.hasAfter ? Math.round((1 - fraction(last.time)) * total) : 0;
    return state;
  }

  private async fetchVisibleRedraws(): Promise<void> {
    const [first, last] = this.deps.viewport.visibleRange();
    const wanted = this.rows.slice(first, last + 1).filter((r) => r.kind === 'line' && r.apiRedraws > 0 && !this.fetchedRedraws.has(r.cursor));
    if (wanted.length === 0) return;
    for (const row of wanted) {
      if (row.kind !== 'line') continue;
      try {
        const states = await this.deps.api.redraws(row.cursor, row.source, this.controller.signal);
        this.fetchedRedraws.set(
          row.cursor,
          states.states.map((s) => s.text),
        );
        // Bounded like the window: forget the bars fetched longest ago.
        if (this.fetchedRedraws.size > MAX_FETCHED_BARS) this.fetchedRedraws.delete(this.fetchedRedraws.keys().next().value!);
      } catch (error) {
        if (!isAbort(error)) this.deps.failed(error);
        return;
      }
    }
    this.rebuild();
  }
}

const MAX_RETRIES = 6;
const MAX_FETCHED_BARS = 200;

function withoutPrefetch(target: Target): Target {
  return target.kind === 'start' ? { kind: 'start' } : target;
}

function placementFor(target: Target, index: number, options: ShowOptions): Placement {
  if (target.kind === 'start') return { kind: 'start' };
  if (target.kind === 'end') return { kind: 'end' };
  if (!options.here) return { kind: 'row', index, rowsFromTop: options.rowsFromTop ?? 0 };
  return { kind: 'row', index, rowsFromTop: options.rowsFromTop ?? 0, fraction: 'here', ...(options.at === undefined ? {} : { at: options.at }) };
}

/** How many rows a view has, as far as the summary tells. */
export function estimatedRows(summary: JobSummary, filters: Filters): number {
  const sources = filters.source.length ? summary.sources.filter((s) => filters.source.includes(s.source)) : summary.sources;
  const lines = sources.reduce((sum, s) => sum + s.lines, 0);
  if (!filters.level.length) return lines;
  const levelled = filters.level.reduce((sum, level) => sum + (summary.levels[level] ?? 0), 0);
  return Math.round(levelled * (lines / Math.max(1, summary.lineCount)));
}

export function finishedText(summary: JobSummary): string {
  if (summary.signal) return `Job finished: killed by ${summary.signal}`;
  return `Job finished, exit code ${summary.exitCode ?? 'unknown'}`;
}
