/** Display rows from API lines: parts, grouped events, progress bars and empty lines. */
import { describe, expect, it } from 'vitest';
import { buildRows, type Row, type RowOptions } from '../../viewer/src/rows.js';
import type { LogLine } from '../../viewer/src/types.js';

let n = 0;
function line(fields: Partial<LogLine> & { text: string }): LogLine {
  n++;
  return { cursor: `c${n}`, source: 'main', line: n, seq: n, time: '2026-11-25T10:00:00.000Z', stream: 'stdout', level: null, end: '\n', ...fields };
}

const options: RowOptions = { showRedraws: false, fillGaps: true, atStart: false, fetchedRedraws: new Map() };
const texts = (rows: Row[]): string[] => rows.map((r) => (r.kind === 'line' ? r.text : r.kind === 'empty' ? `<empty ${r.line}>` : r.text));

describe('buildRows', () => {
  it('shows a progress bar redrawn with \\r as its final state, counting the hidden redraws', () => {
    const rows = buildRows(
      [
        line({ line: 10, text: 'before' }),
        line({ line: 11, text: ' 10%', end: '\r', stream: 'stderr' }),
        line({ line: 12, text: ' 50%', end: '\r', stream: 'stderr' }),
        line({ line: 13, text: '100%', end: '\n', stream: 'stderr' }),
        line({ line: 14, text: 'after' }),
      ],
      options,
    );
    expect(texts(rows)).toEqual(['before', '100%', 'after']);
    expect(rows[1]).toMatchObject({ kind: 'line', line: 13, hiddenRedraws: 2 });
  });

  it('shows every redraw when asked, the earlier states marked', () => {
    const rows = buildRows([line({ line: 1, text: ' 10%', end: '\r' }), line({ line: 2, text: '100%' })], { ...options, showRedraws: true });
    expect(rows.map((r) => r.kind === 'line' && r.isRedraw)).toEqual([true, false]);
  });

  it('keeps the latest state of a bar still running (no \\n yet)', () => {
    const rows = buildRows([line({ line: 1, text: ' 10%', end: '\r' }), line({ line: 2, text: ' 20%', end: '\r' })], options);
    expect(texts(rows)).toEqual([' 20%']);
  });

  it('does not merge a \\r line with a line of another stream or source', () => {
    const rows = buildRows(
      [
        line({ line: 1, text: ' 10%', end: '\r', stream: 'stderr' }),
        line({ line: 2, text: 'stdout line' }),
        line({ source: 'rank-1', line: 0, text: 'other' }),
      ],
      options,
    );
    expect(texts(rows)).toEqual([' 10%', 'stdout line', 'other']);
  });

  it('puts back empty lines the API leaves out, except the leading "\\r" state of a tqdm bar', () => {
    const rows = buildRows(
      [line({ line: 1, text: 'a' }), line({ line: 4, text: 'b' }), line({ line: 6, text: '  0%', end: '\r' }), line({ line: 7, text: '100%' })],
      options,
    );
    expect(texts(rows)).toEqual(['a', '<empty 2>', '<empty 3>', 'b', '100%']);
  });

  it('leaves gaps alone when a filter hides lines between two numbers', () => {
    const rows = buildRows([line({ line: 1, text: 'a' }), line({ line: 40, text: 'b' })], { ...options, fillGaps: false });
    expect(texts(rows)).toEqual(['a', 'b']);
  });

  it('joins a long line sent in parts', () => {
    const rows = buildRows([line({ line: 7, text: 'first half ', end: '', part: 0 }), line({ line: 7, text: 'second half', part: 1 })], options);
    expect(texts(rows)).toEqual(['first half second half']);
  });

  it('shows a grouped event of span N as N numbered rows', () => {
    const rows = buildRows(
      [line({ line: 20, text: 'Traceback:\n  File "x"\nValueError', span: 3, level: 'error' }), line({ line: 23, text: 'next' })],
      options,
    );
    expect(texts(rows)).toEqual(['Traceback:', '  File "x"', 'ValueError', 'next']);
    expect(rows.map((r) => (r.kind === 'footer' ? null : r.line))).toEqual([20, 21, 22, 23]);
  });

  it('numbers the rows of an event another stream printed inside, and puts no blank rows after it', () => {
    const rows = buildRows(
      [
        line({ line: 30, text: 'Traceback:\n  File "x"\nValueError', span: 4, lines: [30, 31, 33], level: 'error', stream: 'stderr' }),
        line({ line: 32, text: 'step 5', stream: 'stdout' }),
        line({ line: 34, text: 'next' }),
      ],
      options,
    );
    expect(texts(rows)).toEqual(['Traceback:', '  File "x"', 'ValueError', 'step 5', 'next']);
    expect(rows.map((r) => (r.kind === 'footer' ? null : r.line))).toEqual([30, 31, 33, 32, 34]);
  });

  it('shows a bar the API collapsed with its redraws count, and the fetched states on request', () => {
    const item = line({ line: 5, text: '100%', redraws: 2 });
    expect(buildRows([item], options)[0]).toMatchObject({ hiddenRedraws: 2, apiRedraws: 2 });
    const shown = buildRows([item], { ...options, showRedraws: true, fetchedRedraws: new Map([[item.cursor, [' 30%', ' 60%']]]) });
    expect(texts(shown)).toEqual([' 30%', ' 60%', '100%']);
  });
});
