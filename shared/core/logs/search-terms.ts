import { InvalidParameterError } from '../errors.js';

/** What a user typed into the search box: plain words (all must occur) and "quoted phrases". */
export interface SearchTerms {
  words: string[];
  phrases: string[];
}

export const MAX_QUERY_LENGTH = 256;
const MAX_TERMS = 16;

/**
 * Reads `q`: never a query language — no wildcards, regexes, fields or operators reach the
 * cluster; every term becomes a `match` (all words) or a `match_phrase`, analysed like the text.
 */
export function parseSearchTerms(q: string): SearchTerms {
  if (q.trim() === '') throw new InvalidParameterError('q is empty');
  if (q.length > MAX_QUERY_LENGTH) throw new InvalidParameterError(`q is longer than ${MAX_QUERY_LENGTH} characters`);
  const terms: SearchTerms = { words: [], phrases: [] };
  for (const match of q.matchAll(/"([^"]*)"|(\S+)/g)) {
    const phrase = match[1]?.trim();
    if (phrase) terms.phrases.push(phrase);
    else if (match[2]) terms.words.push(match[2].replace(/"/g, ''));
  }
  terms.words = terms.words.filter(Boolean);
  if (terms.words.length + terms.phrases.length === 0) throw new InvalidParameterError('q has no words to find');
  if (terms.words.length + terms.phrases.length > MAX_TERMS) throw new InvalidParameterError(`q has more than ${MAX_TERMS} words and phrases`);
  return terms;
}

/** The clauses of an ES bool query that every match must satisfy. */
export function searchClauses(terms: SearchTerms): object[] {
  return [
    ...(terms.words.length > 0 ? [{ match: { message: { query: terms.words.join(' '), operator: 'and' } } }] : []),
    ...terms.phrases.map((phrase) => ({ match_phrase: { message: phrase } })),
  ];
}

/** Marks around highlighted text in Elasticsearch's answer: private-use characters no log line is expected to hold. */
export const HIGHLIGHT_PRE = '\uE000';
export const HIGHLIGHT_POST = '\uE001';

/**
 * `[start, end)` offsets (UTF-16 units) in `original` of the highlighted parts of its copy
 * highlighted whole (`number_of_fragments: 0`). The highlighter's copy may lack characters of the
 * original — OpenSearch's drops control characters such as the ESC of a colour code — so the
 * marked text is walked against the original, skipping what it lacks; the original stays the text.
 */
export function highlightOffsets(marked: string, original: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let at = 0;
  let inside = false;
  let start = -1;
  for (const ch of marked) {
    if (ch === HIGHLIGHT_PRE) {
      inside = true;
      start = -1;
    } else if (ch === HIGHLIGHT_POST) {
      if (inside && start >= 0) ranges.push([start, at]);
      inside = false;
    } else {
      const found = original.indexOf(ch, at);
      // A character the original does not hold: the copies differ by more than dropped characters.
      if (found < 0) break;
      if (inside && start < 0) start = found;
      at = found + ch.length;
    }
  }
  return mergeRanges(ranges);
}

/** Sorted, overlapping `[start, end)` ranges joined (highlight offsets, cluster's or the archive's). */
export function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [s, e] of ranges.sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}
