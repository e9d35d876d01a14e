import type { PhraseHighlight } from '../cluster/kinds.js';
import { shownText } from '../contract/colour-codes.js';
import { mergeRanges, type SearchTerms } from '../logs/search-terms.js';

/** A word of a text as the cluster's standard analyser cuts it: lower-cased, with where it is (UTF-16 offsets). */
interface Token {
  term: string;
  start: number;
  end: number;
}

// Unicode word segmentation (UAX #29) as the standard tokenizer applies it, closely enough for log
// text: letters, digits and `_` run together, and `.` or `'` between two of them joins them
// (`0.25`, `v1.2`, `don't`); anything else separates words.
const WORD = /[\p{L}\p{N}\p{M}_]+(?:['.’][\p{L}\p{N}\p{M}_]+)*/gu;

export function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) out.push({ term: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  return out;
}

/** What a search asks for, analysed once: every word's terms, and each phrase's terms in order. */
export interface TextQuery {
  words: string[];
  phrases: string[][];
  /** As the cluster's highlighter marks a phrase: one span (Elasticsearch) or each word (OpenSearch). */
  phraseHighlight: PhraseHighlight;
}

export function textQuery(terms: SearchTerms, phraseHighlight: PhraseHighlight = 'span'): TextQuery {
  return {
    phraseHighlight,
    words: [...new Set(terms.words.flatMap((w) => tokens(w).map((t) => t.term)))],
    phrases: terms.phrases.map((p) => tokens(p).map((t) => t.term)).filter((p) => p.length > 0),
  };
}

/**
 * Where `text` matches a search, as the cluster answers it: every word present (`match`, operator
 * and) and every phrase as consecutive words (`match_phrase`); the highlighted ranges are every
 * occurrence of a word, and every phrase occurrence as one span or as its words (`phraseHighlight`),
 * merged where they touch. A coloured line is matched in its text as shown, as the cluster matches it.
 * Undefined: no match.
 */
export function matchText(text: string, q: TextQuery): Array<[number, number]> | undefined {
  // A coloured line is searched as shown (its `message`; the codes are in `joblogs.colours`), its ranges mapped back to the text as printed.
  const shown = shownText(text);
  if (shown === undefined) return matchTokens(tokens(text), q);
  const ranges = matchTokens(tokens(shown.text), q);
  return ranges?.map(([start, end]) => [shown.at[start]!, shown.at[end - 1]! + 1]);
}

function matchTokens(found: Token[], q: TextQuery): Array<[number, number]> | undefined {
  const ranges: Array<[number, number]> = [];
  for (const word of q.words) {
    const at = found.filter((t) => t.term === word);
    if (at.length === 0) return undefined;
    for (const t of at) ranges.push([t.start, t.end]);
  }
  for (const phrase of q.phrases) {
    let any = false;
    for (let i = 0; i + phrase.length <= found.length; i++) {
      if (!phrase.every((term, k) => found[i + k]!.term === term)) continue;
      any = true;
      // Elasticsearch's highlighter marks a phrase as one span, spaces between its words included;
      // OpenSearch's marks each of its words.
      if (q.phraseHighlight === 'span') ranges.push([found[i]!.start, found[i + phrase.length - 1]!.end]);
      else for (let k = 0; k < phrase.length; k++) ranges.push([found[i + k]!.start, found[i + k]!.end]);
    }
    if (!any) return undefined;
  }
  return mergeRanges(ranges);
}
