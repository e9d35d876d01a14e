/**
 * Search queries as the logs API reads them: plain words (every one must occur) and
 * "quoted phrases", case-insensitive, never a query language.
 */

/** The terms of `q`, lower-cased: each word, and each quoted phrase whole. */
export function queryTerms(q: string): string[] {
  const terms: string[] = [];
  for (const match of q.matchAll(/"([^"]*)"|(\S+)/g)) {
    const term = (match[1] ?? match[2] ?? '').trim().toLowerCase();
    if (term) terms.push(term);
  }
  return terms;
}

/** `[start, end)` ranges of every occurrence of every term in `text`, sorted and merged. */
export function termRanges(text: string, terms: string[]): Array<[number, number]> {
  const lower = text.toLowerCase();
  const ranges: Array<[number, number]> = [];
  for (const term of terms) {
    for (let at = lower.indexOf(term); at !== -1; at = lower.indexOf(term, at + term.length)) ranges.push([at, at + term.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** True when every term occurs in `text`. */
export function matchesQuery(text: string, terms: string[]): boolean {
  const lower = text.toLowerCase();
  return terms.every((term) => lower.includes(term));
}
