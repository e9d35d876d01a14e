import { describe, expect, it } from 'vitest';
import { shownText, splitColours, withColours, withoutColours } from '../../../../../shared/core/contract/index.js';

describe('colour codes', () => {
  it('are left out of the text as shown: colours, styles, 256-colour and truecolour codes, nothing else', () => {
    expect(withoutColours('\x1b[32mINFO\x1b[0m step 3')).toBe('INFO step 3');
    expect(withoutColours('\x1b[38;5;45mepoch\x1b[m \x1b[38:2::255:105:180mmetrics\x1b[0m')).toBe('epoch metrics');
    expect(withoutColours('no codes here')).toBe('no codes here');
    // Not colours (a title, a cursor move): the download file shows them as text, so they stay.
    expect(withoutColours('\x1b]0;title\x07\x1b[2Kdone')).toBe('\x1b]0;title\x07\x1b[2Kdone');
  });

  it('map every character of the text as shown to its place in the text as printed', () => {
    const printed = 'a\x1b[1mbc\x1b[0m';
    const shown = shownText(printed)!;
    expect(shown.text).toBe('abc');
    expect(Array.from(shown.at)).toEqual([0, 5, 6, 11]);
    expect(shownText('plain')).toBeUndefined();
    expect(shownText('\x1b[2K only a cursor code')).toBeUndefined();
  });

  it('come apart from the text as shown and go back exactly where they were', () => {
    for (const printed of [
      '\x1b[32mINFO\x1b[0m step 3',
      'a\x1b[1m\x1b[31mb\x1b[0m',
      '\x1b[38;2;255;105;180mmetrics\x1b[0m step=250 \x1b[38:5:45macc\x1b[m',
      'ends coloured\x1b[0m',
      '✓ ünïcödé \x1b[1m🚀\x1b[0m',
    ]) {
      const split = splitColours(printed)!;
      expect(split.shown).toBe(withoutColours(printed));
      expect(withColours(split.shown, split.codes)).toBe(printed);
      const shown = shownText(printed)!;
      // UTF-16 unit by unit: every character of the text as shown is the printed one at its offset.
      for (let i = 0; i < shown.text.length; i++) expect(printed.charCodeAt(shown.at[i]!)).toBe(shown.text.charCodeAt(i));
      expect(shown.at[shown.text.length]).toBe(printed.length);
    }
    expect(splitColours('\x1b[32mINFO\x1b[0m step 3')).toEqual({ shown: 'INFO step 3', codes: '0@32,4@0' });
    expect(splitColours('no codes')).toBeUndefined();
    expect(splitColours('\x1b[2K a cursor code')).toBeUndefined();
  });

  it('that make no sense for the text are not applied: the text as shown, never bytes that were not printed', () => {
    expect(withColours('INFO', undefined)).toBe('INFO');
    expect(withColours('INFO', '9@32')).toBe('INFO');
    expect(withColours('INFO', '4@0,0@32')).toBe('INFO');
    expect(withColours('INFO', '0@2J')).toBe('INFO');
    expect(withColours('INFO', 42)).toBe('INFO');
  });
});
