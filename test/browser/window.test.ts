/** The viewer's loaded window of lines, as the live tail extends it (docs/viewer.md, "Live tail"). */
import { describe, expect, it } from 'vitest';
import { LineWindow } from '../../viewer/src/window.js';
import type { Filters, LinesPage, LogLine } from '../../viewer/src/types.js';

const MERGED: Filters = { source: [], stream: [], level: [] };
const T0 = Date.parse('2026-11-30T10:00:00.000Z');

/** A line of `source` captured `ms` after T0 (its seq: its line number). */
function line(source: string, n: number, ms: number): LogLine {
  const time = new Date(T0 + ms).toISOString();
  return { cursor: `${source}:${n}`, source, line: n, seq: n, time, captured: time, stream: 'stdout', level: null, text: `${source} ${n}`, end: '\n' };
}

function page(lines: LogLine[], next = 'n', status: LinesPage['status'] = 'running'): LinesPage {
  return { jobId: 'j', status, lines, prev: null, next, hasBefore: false, hasAfter: false };
}

const texts = (window: LineWindow): string[] => window.items.map((l) => l.text);

describe('the window, extended after by paging down or by the live tail', () => {
  it('puts lines of a chunk indexed late in their place by capture time, not after lines printed later', () => {
    const window = LineWindow.of(MERGED, page([line('main', 0, 0), line('main', 1, 1000), line('main', 2, 2000)]));
    // The API's next page: rank-1's late lines first (printed at 500 and 1500 ms), then main's new one.
    window.append(page([line('rank-1', 0, 500), line('rank-1', 1, 1500), line('main', 3, 3000)], 'v.next'));
    expect(texts(window)).toEqual(['main 0', 'rank-1 0', 'main 1', 'rank-1 1', 'main 2', 'main 3']);
    expect(window.next).toBe('v.next');
  });

  it('orders lines captured in the same millisecond by source, then seq, as the API sorts them', () => {
    const window = LineWindow.of(MERGED, page([line('b', 0, 0), line('b', 1, 10)]));
    window.append(page([line('a', 0, 10), line('c', 0, 10), line('a', 1, 10)]));
    expect(texts(window)).toEqual(['b 0', 'a 0', 'a 1', 'b 1', 'c 0']);
  });

  it('leaves a late line that belongs before a trimmed window to paging back', () => {
    const window = new LineWindow(MERGED, 3);
    window.append(page([line('main', 0, 0), line('main', 1, 1000), line('main', 2, 2000), line('main', 3, 3000)]));
    expect(window.hasBefore).toBe(true);
    expect(window.prev).toBe('main:1');
    window.append(page([line('rank-1', 0, 500), line('rank-1', 1, 2500)]));
    expect(texts(window)).toEqual(['main 2', 'rank-1 1', 'main 3']);
    expect(window.prev).toBe('main:2'); // paging back from here brings rank-1 0 (and main 1)
  });

  it('puts a late line before the first one when the window starts at the job’s start', () => {
    const window = LineWindow.of(MERGED, page([line('main', 0, 1000), line('main', 1, 2000)]));
    window.append(page([line('rank-1', 0, 0)]));
    expect(texts(window)).toEqual(['rank-1 0', 'main 0', 'main 1']);
  });

  it('appends one source’s order as it comes, and lines without a capture time (an older API) at the end', () => {
    const one = LineWindow.of({ ...MERGED, source: ['main'] }, page([line('main', 0, 1000)]));
    one.append(page([line('main', 1, 0)]));
    expect(texts(one)).toEqual(['main 0', 'main 1']);

    const older = LineWindow.of(MERGED, page([line('main', 0, 1000)]));
    const { captured: _dropped, ...uncaptured } = line('rank-1', 0, 0);
    older.append(page([uncaptured]));
    expect(texts(older)).toEqual(['main 0', 'rank-1 0']);
  });
});

describe('the window, its end trimmed as a person pages back', () => {
  /** main 1–4 paged in after (two pages), then main 0 paged in before: the window holds four, so main 4 goes. */
  function trimmedBack(last: LinesPage['status'] = 'running', filters = MERGED): LineWindow {
    const window = new LineWindow(filters, 4);
    window.append(page([line('main', 1, 1000), line('main', 2, 2000)], 'v.after-2'));
    window.append(page([line('main', 3, 3000), line('main', 4, 4000)], 'v.after-4', last));
    window.prepend({ ...page([line('main', 0, 0)]), prev: 'main:0' });
    expect(texts(window)).toEqual(['main 0', 'main 1', 'main 2', 'main 3']);
    expect(window.hasAfter).toBe(true);
    return window;
  }

  it('pages on from the API’s cursor of the last page it still holds, which knows how far each source was seen', () => {
    const window = trimmedBack();
    // Not main 3's own cursor: paging after it would skip a chunk of rank-1 printed before it and indexed later.
    expect(window.next).toBe('v.after-2');
  });

  it('takes each line of that page read again once, and the late chunk to its place', () => {
    const window = new LineWindow(MERGED, 5);
    window.append(page([line('main', 1, 1000), line('main', 2, 2000)], 'v.after-2'));
    window.append(page([line('main', 3, 3000), line('main', 4, 4000)], 'v.after-4'));
    window.prepend({ ...page([line('main', -1, -1000), line('main', 0, 0)]), prev: 'main:-1' });
    expect(window.next).toBe('v.after-2');
    // From v.after-2: rank-1's chunk indexed since (printed at 2 500 ms), then main 3 (held) and main 4 (trimmed).
    window.append(page([line('rank-1', 0, 2500), line('main', 3, 3000), line('main', 4, 4000)], 'v.after-4b'));
    expect(texts(window)).toEqual(['main 1', 'main 2', 'rank-1 0', 'main 3', 'main 4']); // main -1 and 0 trimmed: five at most
    expect(window.next).toBe('v.after-4b');
  });

  it('does not take a page of late lines alone for the place its cursor continues from', () => {
    const window = new LineWindow(MERGED, 3);
    window.append(page([line('main', 0, 0), line('main', 1, 5000)], 'v.main-1'));
    // Only rank-1's late line came: its next still continues after main 1, not after rank-1 0.
    window.append(page([line('rank-1', 0, 1000)], 'v.main-1-rank-1'));
    window.prepend({ ...page([line('main', -1, -1000)]), prev: 'main:-1' });
    expect(texts(window)).toEqual(['main -1', 'main 0', 'rank-1 0']);
    expect(window.next).toBe('rank-1:0'); // neither v.… cursor: both would skip main 1
  });

  it('pages on from the last line’s own cursor in one source’s order, or once the job is complete', () => {
    expect(trimmedBack('running', { ...MERGED, source: ['main'] }).next).toBe('main:3');
    expect(trimmedBack('complete').next).toBe('main:3');
  });
});
