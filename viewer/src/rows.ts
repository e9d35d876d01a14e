/**
 * Display rows from a window's lines: parts joined, grouped events (`span`) split into their
 * rows, `\r` progress bars collapsed to their final state (or every redraw shown), and empty
 * lines — numbered but not returned by the API — put back as empty rows.
 */
import type { LogLine, Stream } from './types.js';

export interface LineRow {
  kind: 'line';
  key: string;
  cursor: string;
  source: string;
  line: number | null;
  stream: Stream;
  level: string | null;
  time: string;
  text: string;
  /** Earlier states of a progress bar hidden behind this row (client-side collapse + the API's `redraws`). */
  hiddenRedraws: number;
  /** The API's `redraws` count, when it collapsed the bar itself (states via `/redraws`). */
  apiRedraws: number;
  /** An earlier state of a progress bar, shown because every redraw is. */
  isRedraw: boolean;
  /** Ended by `\r`: the next line of the same source and stream redraws it. */
  endsWithReturn: boolean;
}

export interface EmptyRow {
  kind: 'empty';
  key: string;
  source: string;
  line: number;
}

export interface FooterRow {
  kind: 'footer';
  key: string;
  text: string;
}

export type Row = LineRow | EmptyRow | FooterRow;

export interface RowOptions {
  /** Show every `\r` redraw as its own row instead of the final state only. */
  showRedraws: boolean;
  /** Put back empty lines: only when no stream/level filter hides lines between two numbers. */
  fillGaps: boolean;
  /** The window starts at the first line of the view (a gap before it is empty lines). */
  atStart: boolean;
  /** States fetched from `/redraws`, by the cursor of the line they belong to. */
  fetchedRedraws: ReadonlyMap<string, string[]>;
}

export function buildRows(items: LogLine[], options: RowOptions): Row[] {
  const rows: Row[] = [];
  const lastLine = new Map<string, number>();
  for (const item of joinParts(items)) {
    if (options.fillGaps && item.line !== null) pushGap(rows, item, lastLine.get(item.source) ?? (options.atStart ? -1 : null));
    // Lines of another stream printed inside an event come after it: the source's last line only moves forward.
    if (item.line !== null) lastLine.set(item.source, Math.max(lastLine.get(item.source) ?? -1, item.line + (item.span ?? 1) - 1));
    pushItem(rows, item, options);
  }
  return rows;
}

/** Joins a long line sent in parts (`end: ""`, then the same source and line). */
function joinParts(items: LogLine[]): LogLine[] {
  const joined: LogLine[] = [];
  for (const item of items) {
    const last = joined[joined.length - 1];
    const continues = last && last.end === '' && last.source === item.source && (item.line === null ? (item.part ?? 0) > 0 : last.line === item.line);
    if (continues) joined[joined.length - 1] = { ...last, text: last.text + item.text, end: item.end };
    else joined.push(item);
  }
  return joined;
}

function pushGap(rows: Row[], item: LogLine, last: number | null): void {
  if (last === null || item.line === null) return;
  let missing = item.line - last - 1;
  // tqdm starts each bar with "\r": an empty state, not a blank line (the API cannot tell us which).
  if (missing === 1 && item.end === '\r') missing = 0;
  for (let n = 0; n < Math.min(missing, 1000); n++) {
    const line = last + 1 + n;
    rows.push({ kind: 'empty', key: `${item.cursor}~${line}`, source: item.source, line });
  }
}

function pushItem(rows: Row[], item: LogLine, options: RowOptions): void {
  const previous = rows[rows.length - 1];
  const redrawn = previous?.kind === 'line' && previous.endsWithReturn && previous.source === item.source && previous.stream === item.stream;
  if (redrawn && !options.showRedraws) {
    rows[rows.length - 1] = { ...toRow(item, 0), key: previous.key, hiddenRedraws: previous.hiddenRedraws + 1 + (item.redraws ?? 0) };
    return;
  }
  if (redrawn) previous.isRedraw = true;
  for (const state of options.showRedraws ? (options.fetchedRedraws.get(item.cursor) ?? []) : []) {
    rows.push({ ...toRow(item, 0), key: `${item.cursor}^${rows.length}`, text: state, isRedraw: true, hiddenRedraws: 0, apiRedraws: 0, endsWithReturn: false });
  }
  const span = item.span ?? 1;
  if (span <= 1) {
    rows.push(toRow(item, 0));
    return;
  }
  item.text
    .split('\n')
    .slice(0, span)
    .forEach((text, i) => rows.push({ ...toRow(item, i), text }));
}

function toRow(item: LogLine, offset: number): LineRow {
  return {
    kind: 'line',
    key: offset ? `${item.cursor}#${offset}` : item.cursor,
    cursor: item.cursor,
    source: item.source,
    line: item.line === null ? null : (item.lines?.[offset] ?? item.line + offset),
    stream: item.stream,
    level: item.level,
    time: item.time,
    text: item.text,
    hiddenRedraws: item.redraws ?? 0,
    apiRedraws: item.redraws ?? 0,
    isRedraw: false,
    endsWithReturn: item.end === '\r',
  };
}
