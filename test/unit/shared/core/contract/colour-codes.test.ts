import { describe, expect, it } from 'vitest';
import { shownText, withoutColours } from '../../../../../shared/core/contract/index.js';

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
});
