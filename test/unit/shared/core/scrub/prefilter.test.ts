import { describe, expect, it } from 'vitest';
import { Prefilter, trie } from '../../../../../shared/core/scrub/prefilter.js';

const hits = (prefilter: Prefilter, text: string) => {
  const found: Array<[string, number]> = [];
  prefilter.find(text, (start, end, mask) => found.push([text.slice(start, end), mask]));
  return found;
};

describe('Prefilter', () => {
  it('reports each literal where it starts, whichever character it is searched from', () => {
    const prefilter = new Prefilter([
      { literal: 'hf_', caseSensitive: true, mask: 1 },
      { literal: 'eyJ', caseSensitive: true, mask: 2 },
      { literal: 'AKIA', caseSensitive: true, mask: 4 },
      { literal: 'bearer', caseSensitive: false, mask: 8 },
    ]);
    expect(hits(prefilter, 'x hf_1 eyJhb AKIA1 Bearer t')).toEqual([
      ['hf_', 1],
      ['eyJ', 2],
      ['AKIA', 4],
      ['Bearer', 8],
    ]);
    // Case-sensitive literals are not found in another case; a lookbehind's letters must match too.
    expect(hits(prefilter, 'HF_ EYJ akia xf_ ey_J')).toEqual([]);
  });

  it('gives a literal the rules of every literal inside it, since matches never overlap', () => {
    const prefilter = new Prefilter([
      { literal: 'access_key', caseSensitive: false, mask: 1 },
      { literal: 'access_key=', caseSensitive: false, mask: 2 },
    ]);
    expect(hits(prefilter, 'AWS_SECRET_ACCESS_KEY=x')).toEqual([['ACCESS_KEY=', 3]]);
  });

  it('builds one alternation factored by common prefixes, the longest word winning', () => {
    expect(trie(['token=', 'token:', 'tok'])).toBe('tok(?:en(?:=|:))?');
    expect(new RegExp(trie(['abc', 'abcd']), 'g').exec('xabcd')![0]).toBe('abcd');
  });
});
