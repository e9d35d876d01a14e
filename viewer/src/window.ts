/**
 * The loaded window: one contiguous run of a view's lines (in the API's order) with the cursors
 * to extend it both ways. It is bounded: extending one end trims the other beyond `maxItems`,
 * so memory stays flat however far a person scrolls.
 */
import type { Filters, LinesPage, LogLine } from './types.js';

export class LineWindow {
  items: LogLine[] = [];
  prev: string | null = null;
  next = 'start';
  hasBefore = false;
  hasAfter = false;
  /**
   * Merged order, running job: where each page that extended the window after ends, with that
   * page's `next` (an API cursor that also says how far each source was seen). When the end is
   * trimmed, paging on from the last of them still held brings the late lines a line's own cursor
   * would miss (docs/viewer.md, "Live tail").
   */
  private marks: Array<{ upTo: LogLine; next: string }> = [];

  constructor(
    readonly filters: Filters,
    readonly maxItems = 2000,
  ) {}

  /** A window from a page after an anchor and, optionally, the page before it (and the anchor line between). */
  static of(filters: Filters, after: LinesPage, before?: LinesPage, anchor?: LogLine): LineWindow {
    const window = new LineWindow(filters);
    window.items = [...(before?.lines ?? []), ...(anchor ? [anchor] : []), ...after.lines];
    window.next = after.next;
    window.hasAfter = after.hasAfter;
    window.mark(after);
    window.prev = before ? before.prev : after.prev;
    window.hasBefore = before ? before.hasBefore : after.hasBefore;
    return window;
  }

  get first(): LogLine | undefined {
    return this.items[0];
  }

  /** At the live end: nothing after it (now). */
  get atEnd(): boolean {
    return !this.hasAfter;
  }

  /**
   * A page after the window: paged down to, or from the live tail. In the merged order it may start
   * with lines that came late (a chunk of one source indexed after later lines of another were
   * shown: docs/logs-api.md, "Late lines in the merged order"): each goes to its place by capture
   * time, source and seq, as a reload would show it. One before the window's first line while there
   * are lines before the window is left to paging back, which brings it; one already held (a page
   * read again after the end was trimmed) is skipped.
   */
  append(page: LinesPage): void {
    if (this.filters.source.length === 1) this.items.push(...page.lines);
    else for (const line of page.lines) this.place(line);
    this.extendedTo(page);
  }

  private place(line: LogLine): void {
    const last = this.items.at(-1);
    // Most lines of a page come after every line held: no search for those.
    const at = last && compareMerged(last, line) > 0 ? this.placeOf(line) : this.items.length;
    if (at === 0 && this.hasBefore && this.items.length > 0) return;
    const before = this.items[at - 1];
    if (before && before.source === line.source && before.seq === line.seq) return;
    this.items.splice(at, 0, line);
  }

  /** Where `line` goes: after every item that does not sort after it (the items are in order). */
  private placeOf(line: LogLine): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareMerged(this.items[middle]!, line) > 0) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  private extendedTo(page: LinesPage): void {
    this.next = page.next;
    this.hasAfter = page.hasAfter;
    this.mark(page);
    const excess = this.items.length - this.maxItems;
    if (excess > 0) this.trimFront(excess);
  }

  /**
   * Where the page's `next` continues from: after its last line, or, for a page of late lines alone
   * (all before the cursor it was read from), where that cursor did (docs/logs-api.md).
   */
  private mark(page: LinesPage): void {
    // A complete job's lines are all searchable: a line's own cursor misses nothing after it.
    if (page.status === 'complete') {
      this.marks = [];
      return;
    }
    const last = page.lines.at(-1);
    if (!last || this.filters.source.length === 1) return;
    const previous = this.marks.at(-1)?.upTo;
    this.marks.push({ upTo: previous && compareMerged(previous, last) > 0 ? previous : last, next: page.next });
  }

  prepend(page: LinesPage): void {
    this.items.unshift(...page.lines);
    this.prev = page.prev;
    this.hasBefore = page.hasBefore;
    const excess = this.items.length - this.maxItems;
    if (excess > 0) this.trimBack(excess);
  }

  private trimFront(count: number): void {
    this.items.splice(0, count);
    const first = this.items[0];
    // A line's cursor pages backwards from it (docs/logs-api.md: `before=<cursor>`).
    this.prev = first?.cursor ?? this.prev;
    this.hasBefore = true;
    if (first) this.marks = this.marks.filter((mark) => compareMerged(mark.upTo, first) >= 0);
  }

  /**
   * Pages on from the last page's `next` still held (its lines come again and are skipped), or,
   * with none, from the last line's own cursor (one source's order, a complete job, a window
   * built by paging back).
   */
  private trimBack(count: number): void {
    this.items.splice(this.items.length - count, count);
    this.hasAfter = true;
    const last = this.items.at(-1);
    if (!last) return;
    this.marks = this.marks.filter((mark) => compareMerged(mark.upTo, last) <= 0);
    this.next = this.marks.at(-1)?.next ?? last.cursor;
  }

  /** The index of the first item at or after `line` of `source` (null = any source). */
  indexOfLine(line: number, source: string | null): number {
    const index = this.items.findIndex((item) => (source === null || item.source === source) && item.line !== null && item.line + (item.span ?? 1) > line);
    return index === -1 ? this.items.length - 1 : index;
  }

  indexOfCursor(cursor: string): number {
    return this.items.findIndex((item) => item.cursor === cursor);
  }
}

/** The API's merged order (capture time, source, seq); 0 when a line lacks its capture time (an older API): it stays where it came. */
export function compareMerged(a: LogLine, b: LogLine): number {
  const ta = a.captured === undefined ? Number.NaN : Date.parse(a.captured);
  const tb = b.captured === undefined ? Number.NaN : Date.parse(b.captured);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return 0;
  if (ta !== tb) return ta - tb;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.seq - b.seq;
}
