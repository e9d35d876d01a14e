/**
 * Windowed rendering of the loaded rows. A spacer gives the scrollbar the height of the whole
 * view (estimated, capped below browsers' maximum element height); the loaded block of rows sits
 * inside it at `blockTop`, and only the rows on screen (plus a few) exist in the DOM. Scrolling
 * within the block is native and 1:1; nearing its ends asks for more lines; landing far from it
 * (a scrollbar drag) asks for a jump. Whenever the block changes, the row on screen stays put.
 */
import { renderRow, type RowContext } from './row-dom.js';
import type { Row } from './rows.js';

export const ROW_HEIGHT = 20;
/** Below Chromium's (~33.5M px) and Firefox's (~17.9M px) maximum element heights. */
const MAX_SPACER_PX = 15_000_000;
const OVERSCAN_PX = 400;
/** Farther than this many screens from the loaded rows, a scrollbar drag opens the view there instead of waiting for pages. */
const JUMP_SCREENS = 20;
/**
 * A scroll that moves step by step (wheel, fling, keys) waits for pages up to this far: pages from a
 * real API on a busy cluster take 50–200 ms each, and a fast wheel outruns them by more than 20
 * screens without being a drag. Below the window's bound (2 000 rows ≈ 60 screens), so the pages
 * it waits for reach the viewport.
 */
const STEP_JUMP_SCREENS = 45;
/**
 * One scroll event that moves the view farther than this is the scrollbar's (a drag, Home, End).
 * A wheel notch, a fling's frame or a key moves a few screens at most; where the scrollbar's scale
 * is not a row's height (a spacer at its cap), a pixel of the thumb is 15 000 000 px / the track's
 * height: 29 screens for a 720 px view, 10 for 1 225 px, 6 for 1 600 px. So a move of half a thumb
 * pixel or more is a drag too (though never below a screen: a key's page), unless a wheel turned
 * just before it.
 */
const DRAG_STEP_SCREENS = 10;
/** A scroll this soon (ms) after a wheel event is the wheel's, however far it moved. */
const WHEEL_RECENT_MS = 300;

export interface ViewportHandlers {
  needBefore(): void;
  needAfter(): void;
  /**
   * The person scrolled far from the loaded rows: `fraction` of the whole view (0…1). After a step
   * (wheel, fling, keys), `at` is the scroll position it was read at: the row opens there, so what
   * is scrolled while its page loads still counts row by row.
   */
  jump(fraction: number, at?: number): void;
  userScrolledUp(): void;
  reachedBottom(): void;
}

/** What is not loaded around the block, in rows (estimates). */
export interface BlockState {
  hasBefore: boolean;
  hasAfter: boolean;
  rowsBefore: number;
  rowsAfter: number;
}

export type Placement =
  | { kind: 'keep' }
  | { kind: 'start' }
  | { kind: 'end' }
  /**
   * Row `index` at `rowsFromTop` rows below the top of the viewport, the viewport at `fraction` of
   * the view, or where it is (`here`: the row at scroll position `at`, else at the viewport's top).
   */
  | { kind: 'row'; index: number; rowsFromTop: number; fraction?: number | 'here'; at?: number };

export class Viewport {
  readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private rows: Row[] = [];
  private offsets = new Float64Array(1);
  private readonly heights = new Map<string, number>();
  private readonly rendered = new Map<string, { row: Row; element: HTMLElement }>();
  private blockTop = 0;
  private state: BlockState = { hasBefore: false, hasAfter: false, rowsBefore: 0, rowsAfter: 0 };
  private lastTop = 0;
  private expectedTop: number | null = null;
  private wrapLines = false;
  /** The person's last scroll moved step by step, not by the scrollbar (pages landing later do not change it). */
  private stepping = false;
  private lastWheel = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly handlers: ViewportHandlers,
    private context: RowContext,
  ) {
    this.scroller = document.createElement('div');
    this.scroller.className = 'scroller';
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'list');
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    this.scroller.append(this.spacer);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.scroller.addEventListener('wheel', () => (this.lastWheel = performance.now()), { passive: true });
    // A taller viewport shows more rows; wrapped rows change height with the width.
    let width = 0;
    new ResizeObserver(([entry]) => {
      const next = entry?.contentRect.width ?? 0;
      if (this.wrapLines && Math.abs(next - width) > 1) this.setWrap(true);
      else this.render();
      width = next;
    }).observe(this.scroller);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  /** The viewport shows the last row (within a row). From our own spacer height: reading `scrollHeight` after drawing would force a layout. */
  private atBottom(top: number, viewport: number): boolean {
    return !this.state.hasAfter && top + viewport >= this.spacerHeight - ROW_HEIGHT;
  }

  setRows(rows: Row[], state: BlockState, placement: Placement): void {
    const anchor = placement.kind === 'keep' ? this.firstVisible() : null;
    this.rows = rows;
    this.state = state;
    this.computeOffsets();
    this.place(placement, anchor);
    this.render();
  }

  /** Re-renders every visible row (the search terms, selection or options changed). */
  refresh(context: RowContext): void {
    this.context = context;
    this.clearRendered();
    this.render();
  }

  /** Draws what is on screen again and asks for the pages or the jump it needs (asks refused meanwhile). */
  recheck(): void {
    this.render();
  }

  /** Wraps long lines (rows as tall as their text) or not; calling it again measures every row anew. */
  setWrap(wrap: boolean): void {
    const anchor = this.firstVisible();
    this.wrapLines = wrap;
    this.heights.clear();
    this.clearRendered();
    this.computeOffsets();
    this.place({ kind: 'keep' }, anchor);
    this.render();
  }

  /** The key of the first row on screen, and where it is on screen. */
  firstVisible(): { key: string; offset: number; index: number } | null {
    const index = this.indexAt(this.scroller.scrollTop);
    const row = this.rows[index];
    if (!row) return null;
    return { key: row.key, offset: this.blockTop + this.offsets[index]! - this.scroller.scrollTop, index };
  }

  /** The rows currently on screen (for keyboard moves and the screen reader's status). */
  visibleRange(): [number, number] {
    const top = this.scroller.scrollTop;
    return [this.indexAt(top), this.indexAt(top + this.scroller.clientHeight - 1)];
  }

  /** Scrolls so that row `index` is visible (keyboard navigation). */
  reveal(index: number): void {
    const top = this.blockTop + (this.offsets[index] ?? 0);
    const bottom = this.blockTop + (this.offsets[index + 1] ?? top);
    if (top < this.scroller.scrollTop) this.scrollTo(top);
    else if (bottom > this.scroller.scrollTop + this.scroller.clientHeight) this.scrollTo(bottom - this.scroller.clientHeight);
    this.render();
  }

  private computeOffsets(): void {
    const offsets = new Float64Array(this.rows.length + 1);
    for (let i = 0; i < this.rows.length; i++)
      offsets[i + 1] = offsets[i]! + (this.wrapLines ? (this.heights.get(this.rows[i]!.key) ?? ROW_HEIGHT) : ROW_HEIGHT);
    this.offsets = offsets;
  }

  private get blockHeight(): number {
    return this.offsets[this.rows.length]!;
  }

  private place(placement: Placement, anchor: { key: string; offset: number; index: number } | null): void {
    const viewport = this.scroller.clientHeight;
    let top = this.scroller.scrollTop;
    if (placement.kind === 'keep') {
      const index = anchor ? this.rows.findIndex((row) => row.key === anchor.key) : -1;
      if (anchor && index !== -1) this.blockTop = top + anchor.offset - this.offsets[index]!;
    } else if (placement.kind === 'start') {
      this.blockTop = 0;
      top = 0;
    } else {
      // Where the block belongs on the scrollbar: after the rows before it.
      if (placement.kind === 'end' || placement.fraction !== 'here') this.blockTop = this.state.rowsBefore * this.pixelsPerRow();
      this.layoutSpacer();
    }
    if (placement.kind === 'row') {
      const rowTop = this.offsets[placement.index] ?? 0;
      if (typeof placement.fraction === 'number') top = placement.fraction * Math.max(0, this.spacerHeight - viewport);
      else if (placement.fraction === undefined) top = this.blockTop + rowTop - placement.rowsFromTop * ROW_HEIGHT;
      const rowAt = placement.fraction === 'here' ? (placement.at ?? top) : top;
      this.blockTop = rowAt - rowTop + placement.rowsFromTop * ROW_HEIGHT;
    }
    top = this.normalise(top);
    if (placement.kind === 'end') top = this.spacerHeight - viewport;
    this.scrollTo(top);
  }

  /** Scrollbar pixels per row of the whole view (a row's height until the spacer is capped). */
  private pixelsPerRow(): number {
    return Math.min(ROW_HEIGHT, MAX_SPACER_PX / Math.max(1, this.state.rowsBefore + this.rows.length + this.state.rowsAfter));
  }

  private spacerHeight = 0;

  /** Keeps the block where it can be: at 0 when nothing is before it, room above and below it otherwise. Returns `top` moved with the block. */
  private normalise(top: number): number {
    const viewport = this.scroller.clientHeight || 600;
    const room = Math.min(this.state.rowsBefore * ROW_HEIGHT, 3 * viewport);
    let shift = 0;
    if (!this.state.hasBefore) shift = -this.blockTop;
    else if (this.blockTop < room) shift = room - this.blockTop;
    this.blockTop += shift;
    this.layoutSpacer();
    const overflow = this.spacerHeight - MAX_SPACER_PX;
    if (overflow > 0 && this.state.hasBefore) {
      const up = Math.min(overflow, this.blockTop - room);
      this.blockTop -= up;
      shift -= up;
      this.layoutSpacer();
    }
    return top + shift;
  }

  private layoutSpacer(): void {
    const bottom = this.blockTop + this.blockHeight;
    const after = this.state.hasAfter ? Math.max(this.state.rowsAfter * this.pixelsPerRow(), 3 * (this.scroller.clientHeight || 600)) : 0;
    this.spacerHeight = Math.min(bottom + after, Math.max(MAX_SPACER_PX, bottom));
    this.spacer.style.height = `${this.spacerHeight}px`;
  }

  private scrollTo(top: number): void {
    const clamped = Math.max(0, Math.min(top, this.spacerHeight - this.scroller.clientHeight));
    if (Math.abs(this.scroller.scrollTop - clamped) < 0.5) return;
    this.expectedTop = clamped;
    this.scroller.scrollTop = clamped;
    this.lastTop = this.scroller.scrollTop;
  }

  /** The index of the row at pixel `y` of the spacer (clamped to the block). */
  private indexAt(y: number): number {
    const target = y - this.blockTop;
    let low = 0;
    let high = this.rows.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.offsets[mid]! <= target) low = mid;
      else high = mid - 1;
    }
    return Math.max(0, low);
  }

  private onScroll(): void {
    const top = this.scroller.scrollTop;
    const viewport = this.scroller.clientHeight;
    const programmatic = this.expectedTop !== null && Math.abs(top - this.expectedTop) < 2;
    this.expectedTop = null;
    if (!programmatic) this.stepping = this.isStep(Math.abs(top - this.lastTop), viewport);
    if (!programmatic && top < this.lastTop - 1) this.handlers.userScrolledUp();
    this.lastTop = top;
    this.render();
    if (!programmatic && this.atBottom(top, viewport)) this.handlers.reachedBottom();
  }

  /** A scroll by `moved` px was a step (wheel, fling, keys), not the scrollbar's: see {@link DRAG_STEP_SCREENS}. */
  private isStep(moved: number, viewport: number): boolean {
    if (performance.now() - this.lastWheel < WHEEL_RECENT_MS) return true;
    const thumbPixel = Math.max(0, this.spacerHeight - viewport) / Math.max(1, viewport);
    return moved <= Math.min(DRAG_STEP_SCREENS * viewport, Math.max(viewport, thumbPixel / 2));
  }

  private render(): void {
    const top = this.scroller.scrollTop;
    const viewport = this.scroller.clientHeight;
    const blockBottom = this.blockTop + this.blockHeight;
    // Far from the loaded rows after a scrollbar drag: open the view where the scrollbar is. After a
    // wheel or fling that outran the pages on their way, keep scrolling 1:1 and wait; if it still
    // gets too far, open the row it reached counting rows, not by the scrollbar's scale (which is
    // not a row's height in a long job).
    const far = (this.stepping ? STEP_JUMP_SCREENS : JUMP_SCREENS) * viewport;
    if (this.rows.length === 0 || top + viewport < this.blockTop - far || top > blockBottom + far) {
      this.clearRendered();
      if (this.stepping && this.rows.length > 0) this.handlers.jump(this.rowFraction(top), top);
      else if (this.rows.length > 0 || this.state.hasBefore || this.state.hasAfter) this.handlers.jump(top / Math.max(1, this.spacerHeight - viewport));
      return;
    }
    this.renderRange(this.indexAt(top - OVERSCAN_PX), this.indexAt(top + viewport + OVERSCAN_PX));
    if (this.state.hasBefore && top < this.blockTop + 2 * viewport) this.handlers.needBefore();
    if (this.state.hasAfter && top + viewport > blockBottom - 2 * viewport) this.handlers.needAfter();
  }

  /** Where `top` is in the whole view, counting rows from the loaded block at a row's height each. */
  private rowFraction(top: number): number {
    const { rowsBefore, rowsAfter } = this.state;
    const row =
      top < this.blockTop
        ? rowsBefore - (this.blockTop - top) / ROW_HEIGHT
        : rowsBefore + this.rows.length + (top - this.blockTop - this.blockHeight) / ROW_HEIGHT;
    return Math.min(1, Math.max(0, row / Math.max(1, rowsBefore + this.rows.length + rowsAfter)));
  }

  private renderRange(first: number, last: number): void {
    const keep = new Set<string>();
    const created: Array<[number, HTMLElement]> = [];
    for (let i = first; i <= last; i++) {
      const row = this.rows[i]!;
      keep.add(row.key);
      const entry = this.rendered.get(row.key);
      let element = entry?.element;
      if (!entry || (entry.row !== row && signature(entry.row) !== signature(row))) {
        const fresh = renderRow(row, this.context);
        if (element) element.replaceWith(fresh);
        else this.spacer.append(fresh);
        element = fresh;
        this.rendered.set(row.key, { row, element });
        created.push([i, element]);
      } else if (entry.row !== row) entry.row = row;
      element!.style.transform = `translateY(${this.blockTop + this.offsets[i]!}px)`;
    }
    for (const [key, { element }] of this.rendered) {
      if (keep.has(key)) continue;
      element.remove();
      this.rendered.delete(key);
    }
    if (this.wrapLines && created.length > 0) this.measure(created);
  }

  /** Wrapped rows are as tall as their text: measure the new ones and keep the first visible row still. */
  private measure(created: Array<[number, HTMLElement]>): void {
    let changed = false;
    for (const [i, element] of created) {
      const height = element.offsetHeight;
      const key = this.rows[i]!.key;
      if (height > 0 && height !== (this.heights.get(key) ?? ROW_HEIGHT)) {
        this.heights.set(key, height);
        changed = true;
      }
    }
    if (!changed) return;
    const anchor = this.firstVisible();
    this.computeOffsets();
    this.place({ kind: 'keep' }, anchor);
    for (const [i, element] of created) element.style.transform = `translateY(${this.blockTop + this.offsets[i]!}px)`;
    this.render();
  }

  private clearRendered(): void {
    for (const { element } of this.rendered.values()) element.remove();
    this.rendered.clear();
  }
}

/** What a row shows: a row rebuilt under the same key is drawn again only if this changed. */
function signature(row: Row): string {
  if (row.kind !== 'line') return `${row.kind}|${row.key}`;
  return `${row.line}|${row.hiddenRedraws}|${row.isRedraw}|${row.level}|${row.text}`;
}
