/**
 * Opens a window of lines around a target: the first data-flow step (target → page fetches →
 * window). Exact targets (a line of one source) use `from=`; a line met elsewhere (a search match,
 * an error) uses its cursor; a place on the scrollbar uses `from=` on one source's axis and
 * `at=` (time) on a merged or filtered one.
 */
import type { LogsApi } from './api.js';
import type { Filters, JobSummary, LinesPage, PageAnchor } from './types.js';
import { LineWindow } from './window.js';

export const PAGE = 300;
const CONTEXT = 100;

export type Target =
  /** The first line; `page` = its page already requested (alongside the summary). */
  | { kind: 'start'; page?: Promise<LinesPage> }
  | { kind: 'end' }
  /** A line of one source (0-based). */
  | { kind: 'line'; source: string | null; line: number }
  /** A line named by a cursor of this view (search match, error position). */
  | { kind: 'cursor'; cursor: string }
  /** Lines captured at or after `at`; with `item`, that line (source, seq) when it is among them (an error under filters). */
  | { kind: 'time'; at: string; item?: { source: string; seq: number } }
  /** A place on the scrollbar, 0…1. */
  | { kind: 'fraction'; fraction: number };

export interface Opened {
  window: LineWindow;
  /** The item the target names (or the first at or after it). */
  index: number;
}

export interface OpenContext {
  api: LogsApi;
  filters: Filters;
  summary: JobSummary;
  signal: AbortSignal;
}

type PageOf = (anchor: PageAnchor, limit?: number) => Promise<LinesPage>;

export async function openWindow(target: Target, context: OpenContext): Promise<Opened> {
  const { api, filters, signal } = context;
  const page: PageOf = (anchor, limit = PAGE) => api.lines({ anchor, filters, limit, signal });
  switch (target.kind) {
    case 'start':
      return { window: LineWindow.of(filters, await (target.page ?? page({ after: 'start' }))), index: 0 };
    case 'end': {
      const window = LineWindow.of(filters, await page({ before: 'end' }));
      return { window, index: Math.max(0, window.items.length - 1) };
    }
    case 'line': {
      const window = LineWindow.of(filters, await page({ from: Math.max(0, target.line - CONTEXT) }));
      return { window, index: window.indexOfLine(target.line, target.source) };
    }
    case 'cursor':
      return openAround(target.cursor, filters, page);
    case 'time': {
      const at = await page({ at: target.at }, 1);
      if (!at.lines[0]) return openWindow({ kind: 'end' }, context);
      const opened = await openAround(at.lines[0].cursor, filters, page);
      const { item } = target;
      const exact = item ? opened.window.items.findIndex((l) => l.source === item.source && l.seq === item.seq) : -1;
      return exact === -1 ? opened : { ...opened, index: exact };
    }
    case 'fraction':
      return openWindow(fractionTarget(target.fraction, context), context);
  }
}

/**
 * The page around a line of this view, the line included, in one request (`around=`): half of it
 * before the line. Where the line itself is not among them (the filters leave it out), the page
 * cannot say how many came before it: then context before it (`before=`) and the page from it on.
 */
async function openAround(cursor: string, filters: Filters, page: PageOf): Promise<Opened> {
  const around = await page({ around: cursor }, CONTEXT + PAGE);
  const index = around.lines.findIndex((line) => line.cursor === cursor);
  if (index !== -1) return { window: LineWindow.of(filters, around), index };
  const context = await page({ before: cursor }, CONTEXT);
  const last = context.lines[context.lines.length - 1];
  const after = await page({ after: last?.cursor ?? 'start' });
  return { window: LineWindow.of(filters, after, context), index: context.lines.length };
}

/** A place on the scrollbar as a target: a line number on one source's exact axis, else a time. */
export function fractionTarget(fraction: number, context: Pick<OpenContext, 'filters' | 'summary'>): Target {
  if (fraction <= 0) return { kind: 'start' };
  if (fraction >= 1) return { kind: 'end' };
  const source = exactSource(context.summary, context.filters);
  if (source) return { kind: 'line', source: source.source, line: Math.floor(fraction * source.lines) };
  const start = Date.parse(context.summary.startedAt);
  const end = context.summary.endedAt ? Date.parse(context.summary.endedAt) : Date.now();
  return { kind: 'time', at: new Date(start + fraction * (end - start)).toISOString() };
}

/** The one source whose dense line numbers are the view's axis, if there is one. */
export function exactSource(summary: JobSummary, filters: Filters): JobSummary['sources'][number] | null {
  if (filters.source.length === 1) return summary.sources.find((s) => s.source === filters.source[0]) ?? null;
  return summary.sources.length === 1 ? summary.sources[0]! : null;
}
