/** Terminal text as the viewer shows it: colours kept as data, every other escape dropped. */
import { describe, expect, it } from 'vitest';
import { ansiSegments, paletteColour, stripEscapes } from '../../viewer/src/ansi-text.js';
import { parsePermalink, formatPermalink } from '../../viewer/src/permalink.js';
import { queryTerms, termRanges } from '../../viewer/src/query.js';

describe('ansiSegments', () => {
  it('turns SGR colours and styles into classes and inline colours', () => {
    expect(ansiSegments('\x1b[1;31mERR\x1b[0m ok \x1b[38;5;208mpal\x1b[38;2;10;20;30mtrue\x1b[0m')).toEqual([
      { text: 'ERR', classes: ['fg-red', 'bold'], color: null, background: null },
      { text: ' ok ', classes: [], color: null, background: null },
      { text: 'pal', classes: [], color: 'rgb(255, 135, 0)', background: null },
      { text: 'true', classes: [], color: 'rgb(10, 20, 30)', background: null },
    ]);
  });

  it('drops titles, hyperlinks, cursor movement, erasing and control characters', () => {
    const text = '\x1b(B\x1b]0;new title\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x1b[2K\x1b[1A\x1b[10;5Hmoved\x07\x08\x1bc';
    expect(
      ansiSegments(text)
        .map((s) => s.text)
        .join(''),
    ).toBe('link moved');
  });

  it('keeps markup-looking text as text (it is only ever set as textContent)', () => {
    expect(stripEscapes('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });

  it('maps the 256-colour cube and greys as xterm does', () => {
    expect([paletteColour(16), paletteColour(231), paletteColour(232), paletteColour(255)]).toEqual([
      'rgb(0, 0, 0)',
      'rgb(255, 255, 255)',
      'rgb(8, 8, 8)',
      'rgb(238, 238, 238)',
    ]);
  });
});

describe('permalinks', () => {
  it('reads #L12345 and #rank-3:L12345 as 0-based lines', () => {
    expect(parsePermalink('#L12345')).toEqual({ source: null, line: 12344 });
    expect(parsePermalink('#rank-3:L1')).toEqual({ source: 'rank-3', line: 0 });
    expect(parsePermalink('#L0')).toBeNull();
    expect(parsePermalink('#something')).toBeNull();
  });

  it('writes the source only for a job with several', () => {
    expect(formatPermalink({ source: 'main', line: 9 }, true)).toBe('#L10');
    expect(formatPermalink({ source: 'rank-1', line: 9 }, false)).toBe('#rank-1:L10');
  });
});

describe('search terms', () => {
  it('reads words and quoted phrases, case-insensitive, and marks every occurrence', () => {
    expect(queryTerms('CUDA "out of memory"')).toEqual(['cuda', 'out of memory']);
    expect(termRanges('CUDA out of memory; cuda', ['cuda', 'out of memory'])).toEqual([
      [0, 4],
      [5, 18],
      [20, 24],
    ]);
  });
});
