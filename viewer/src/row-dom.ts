/**
 * One display row as DOM. Log text only ever enters the page as text nodes (`textContent`), never
 * as markup: the ANSI segments become spans with classes, search terms become `<mark>`s.
 */
import { ansiSegments, type Segment } from './ansi-text.js';
import { formatPermalink } from './permalink.js';
import { termRanges } from './query.js';
import type { Row } from './rows.js';

export interface RowContext {
  /** The job has several sources and none is selected: show each row's source. */
  showSource: boolean;
  /** Lowered search terms to highlight. */
  terms: string[];
  /** The key of the current search match / the selected line. */
  currentKey: string | null;
  selectedKey: string | null;
  /** Total rows of the view, for `aria-setsize` (−1 when unknown). */
  setSize: number;
}

export function renderRow(row: Row, context: RowContext): HTMLElement {
  const element = document.createElement('div');
  element.className = 'row';
  element.setAttribute('role', 'listitem');
  element.dataset.key = row.key;
  if (row.kind === 'footer') {
    element.classList.add('footer');
    element.setAttribute('role', 'status');
    element.textContent = row.text;
    return element;
  }
  element.setAttribute('aria-setsize', String(context.setSize));
  if (row.line !== null) element.setAttribute('aria-posinset', String(row.line + 1));
  element.append(gutter(row, context));
  if (row.kind === 'empty') {
    element.classList.add('empty');
    return element;
  }
  element.dataset.level = row.level ?? 'none';
  element.dataset.stream = row.stream;
  if (row.isRedraw) element.classList.add('redraw');
  if (row.key === context.currentKey) element.classList.add('current-match');
  if (row.key === context.selectedKey) element.classList.add('selected');
  const time = span('ts', formatTime(row.time));
  time.setAttribute('aria-hidden', 'true');
  element.append(time);
  if (context.showSource) element.append(span('src', row.source));
  element.append(textOf(row.text, context.terms));
  if (row.hiddenRedraws > 0) element.append(redrawBadge(row.hiddenRedraws));
  return element;
}

function gutter(row: Exclude<Row, { kind: 'footer' }>, context: RowContext): HTMLElement {
  const link = document.createElement('a');
  link.className = 'ln';
  link.tabIndex = -1;
  if (row.line === null) return link;
  link.textContent = String(row.line + 1);
  link.href = formatPermalink({ source: row.source, line: row.line }, !context.showSource);
  link.dataset.source = row.source;
  link.dataset.line = String(row.line);
  return link;
}

function span(className: string, text: string): HTMLElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}

function redrawBadge(count: number): HTMLElement {
  const badge = span('redraws', `↻ ${count}`);
  badge.title = `${count} earlier state${count === 1 ? '' : 's'} of this progress bar hidden (toggle “every redraw”)`;
  return badge;
}

function formatTime(iso: string): string {
  return iso.length >= 23 ? iso.slice(11, 23) : iso;
}

/** The line's text: styled segments, with search terms wrapped in `<mark>`. */
function textOf(text: string, terms: string[]): HTMLElement {
  const container = span('tx', '');
  const segments = ansiSegments(text);
  const plain = segments.map((s) => s.text).join('');
  const marks = terms.length ? termRanges(plain, terms) : [];
  let offset = 0;
  for (const segment of segments) {
    container.append(...segmentNodes(segment, offset, marks));
    offset += segment.text.length;
  }
  return container;
}

function segmentNodes(segment: Segment, offset: number, marks: Array<[number, number]>): Node[] {
  const pieces = splitByMarks(segment.text, offset, marks);
  const styled = segment.classes.length > 0 || segment.color !== null || segment.background !== null;
  return pieces.map(([text, marked]) => {
    const node: Node = styled ? styledSpan(segment, text) : document.createTextNode(text);
    if (!marked) return node;
    const mark = document.createElement('mark');
    mark.append(node);
    return mark;
  });
}

function styledSpan(segment: Segment, text: string): HTMLElement {
  const element = document.createElement('span');
  element.className = segment.classes.join(' ');
  if (segment.color) element.style.color = segment.color;
  if (segment.background) element.style.backgroundColor = segment.background;
  element.textContent = text;
  return element;
}

/** `text` (starting at `offset` of the line) cut at the marks' edges: `[piece, inside a mark]`. */
function splitByMarks(text: string, offset: number, marks: Array<[number, number]>): Array<[string, boolean]> {
  if (marks.length === 0) return [[text, false]];
  const pieces: Array<[string, boolean]> = [];
  let at = 0;
  for (const [start, end] of marks) {
    const from = Math.max(start - offset, at);
    const to = Math.min(end - offset, text.length);
    if (to <= from) continue;
    if (from > at) pieces.push([text.slice(at, from), false]);
    pieces.push([text.slice(from, to), true]);
    at = to;
  }
  if (at < text.length) pieces.push([text.slice(at), false]);
  return pieces;
}
