/** A literal the prefilter looks for, and the rules (a bit mask) it calls for. */
export interface Trigger {
  literal: string;
  caseSensitive: boolean;
  mask: number;
  /** An exact secret value rather than a rule's trigger: searched in a class of its own (see {@link Prefilter}). */
  value?: boolean;
}

/**
 * Finds trigger literals in a whole write at once: one regular expression per class of literals
 * (the rules' case-sensitive triggers, their case-insensitive ones, exact secret values). Most of the cost of scrubbing clean output
 * is here, so the expressions are built for V8's matcher, which is fast when few characters can
 * start a match: each case-sensitive literal is searched from its rarest character (in log text),
 * behind a lookbehind for the characters before it — `hf_` as `(?<=hf)_`, `eyJ` as `(?<=ey)J` —
 * the literals of each class form a trie, and a match is mapped back to its literal(s) by table
 * lookup, never by searching again.
 *
 * @example
 * const prefilter = new Prefilter([{ literal: 'AKIA', caseSensitive: true, mask: 4 }]);
 * prefilter.find('key AKIA…', (start, end, mask) => hits.push({ start, end, mask }));
 */
export class Prefilter {
  readonly #classes: TriggerClass[];
  /** The longest literal: a seam between two writes this long (minus one) on each side finds any of them. */
  readonly longest: number;

  constructor(triggers: readonly Trigger[]) {
    const all = withContainedMasks(triggers);
    this.#classes = [
      triggerClass(
        all.filter((t) => t.caseSensitive && !t.value),
        { caseSensitive: true, anchored: true },
      ),
      triggerClass(
        all.filter((t) => !t.caseSensitive),
        { caseSensitive: false, anchored: false },
      ),
      // Secret values are random text: no character is rarer than another, so no anchor helps; one
      // trie of them beat one `indexOf` per value from a handful of values on (measured).
      triggerClass(
        all.filter((t) => t.caseSensitive && t.value),
        { caseSensitive: true, anchored: false },
      ),
    ].filter((c): c is TriggerClass => c !== undefined);
    this.longest = Math.max(0, ...all.map((t) => t.literal.length));
  }

  /** Calls `onHit` for every trigger in `text` (start, end as offsets in `text`), class by class: not in text order. */
  find(text: string, onHit: (start: number, end: number, mask: number) => void): void {
    for (const { regex, bySuffix, caseSensitive } of this.#classes) {
      regex.lastIndex = 0;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        const suffix = caseSensitive ? m[0] : m[0].toLowerCase();
        for (const { prefix, mask } of bySuffix.get(suffix) ?? []) {
          const start = m.index - prefix.length;
          // The lookbehind matched one of the prefixes of this suffix; which one is checked here.
          if (prefix === '' || (caseSensitive ? text.startsWith(prefix, start) : start >= 0 && text.slice(start, m.index).toLowerCase() === prefix)) {
            onHit(start, m.index + m[0].length, mask);
          }
        }
      }
    }
  }
}

interface TriggerClass {
  regex: RegExp;
  caseSensitive: boolean;
  /** Searched part (from the rarest character on) → the characters before it, and the rules. */
  bySuffix: Map<string, Array<{ prefix: string; mask: number }>>;
}

function triggerClass(triggers: readonly Trigger[], { caseSensitive, anchored }: { caseSensitive: boolean; anchored: boolean }): TriggerClass | undefined {
  if (triggers.length === 0) return undefined;
  const bySuffix = new Map<string, Array<{ prefix: string; mask: number }>>();
  for (const t of triggers) {
    const literal = caseSensitive ? t.literal : t.literal.toLowerCase();
    // Case-insensitive literals and secret values (random text, no character rarer than another)
    // stay whole: a lookbehind there cost more than it saved (measured).
    const at = anchored ? rarestPosition(literal) : 0;
    const prefix = literal.slice(0, at);
    const suffix = literal.slice(at);
    const entries = bySuffix.get(suffix) ?? [];
    const same = entries.find((e) => e.prefix === prefix);
    if (same) same.mask |= t.mask;
    else entries.push({ prefix, mask: t.mask });
    bySuffix.set(suffix, entries);
  }
  const entries = [...bySuffix].flatMap(([suffix, list]) => list.map((e) => ({ prefix: e.prefix, suffix })));
  return { regex: new RegExp(alternation(entries), caseSensitive ? 'g' : 'gi'), caseSensitive, bySuffix };
}

/**
 * How common a character is in log text (higher: more common), roughly: English letter
 * frequencies, spaces and JSON punctuation. Only the order matters.
 */
const FREQUENCY: Record<string, number> = {
  ' ': 150,
  e: 100,
  t: 80,
  a: 70,
  o: 70,
  i: 70,
  n: 70,
  s: 60,
  r: 60,
  h: 50,
  l: 40,
  d: 40,
  '"': 40,
  ':': 40,
  '=': 35,
  ',': 30,
  '.': 30,
  c: 30,
  u: 30,
  m: 25,
  f: 20,
  p: 20,
  g: 20,
  w: 15,
  y: 15,
  b: 15,
  "'": 15,
  v: 10,
  k: 8,
  _: 8,
  '/': 8,
  '-': 6,
  x: 2,
  j: 2,
  q: 1,
  z: 1,
  0: 20,
  1: 20,
  2: 20,
  3: 15,
  4: 15,
  5: 15,
  6: 15,
  7: 15,
  8: 15,
  9: 15,
};
/** Upper case and other punctuation. */
const OTHER_FREQUENCY = 4;
/** Lookbehinds stay short: a secret value is searched from one of its first characters. */
const MAX_PREFIX = 16;

/** Where a literal is searched from: its rarest character among the first {@link MAX_PREFIX} + 1 (the first of equals). */
function rarestPosition(literal: string): number {
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i < literal.length && i <= MAX_PREFIX; i++) {
    const score = FREQUENCY[literal[i]!] ?? OTHER_FREQUENCY;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Each trigger also calls for the rules of every trigger it contains: matches do not overlap, so
 * where `access_key=` is found, `access_key` (another rule's trigger) is not found again.
 */
function withContainedMasks(triggers: readonly Trigger[]): Trigger[] {
  const merged = new Map<string, Trigger>();
  for (const t of triggers) {
    if (t.literal.length === 0) continue;
    const key = `${t.caseSensitive ? 's' : 'i'}${t.caseSensitive ? t.literal : t.literal.toLowerCase()}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, mask: seen.mask | t.mask } : { ...t });
  }
  const all = [...merged.values()];
  return all.map((t) => {
    let mask = t.mask;
    const lower = t.literal.toLowerCase();
    for (const inner of all) {
      // A case-sensitive literal found also holds the case-insensitive ones inside it, not the reverse.
      const contained = inner.caseSensitive ? t.caseSensitive && t.literal.includes(inner.literal) : lower.includes(inner.literal.toLowerCase());
      if (contained) mask |= inner.mask;
    }
    return { ...t, mask };
  });
}

/** The literals without a prefix as one trie, then `(?<=prefixes)suffix` per suffix (longest suffix first). */
function alternation(entries: ReadonlyArray<{ prefix: string; suffix: string }>): string {
  const bare = entries.filter((e) => e.prefix === '').map((e) => e.suffix);
  const bySuffix = new Map<string, string[]>();
  for (const { prefix, suffix } of entries) if (prefix !== '') bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), prefix]);
  const guarded = [...bySuffix].sort(([a], [b]) => b.length - a.length).map(([suffix, prefixes]) => `(?<=${trie(prefixes)})${escapeRegex(suffix)}`);
  return [...(bare.length > 0 ? [trie(bare)] : []), ...guarded].join('|');
}

/**
 * A regular expression matching any of `words`, factored by common prefixes
 * (`token=|token:` → `token(?:=|:)`), a longer word winning over a shorter one it starts with.
 */
export function trie(words: readonly string[]): string {
  return trieOf([...new Set(words)].filter((w) => w.length > 0)).source;
}

function trieOf(words: readonly string[]): { source: string; alternatives: number } {
  const byFirst = new Map<string, string[]>();
  for (const word of words) byFirst.set(word[0]!, [...(byFirst.get(word[0]!) ?? []), word.slice(1)]);
  const parts = [...byFirst].map(([first, rests]) => {
    const more = rests.filter((r) => r.length > 0);
    if (more.length === 0) return escapeRegex(first);
    const ends = more.length < rests.length;
    const inner = trieOf(more);
    return `${escapeRegex(first)}${ends || inner.alternatives > 1 ? `(?:${inner.source})` : inner.source}${ends ? '?' : ''}`;
  });
  return { source: parts.join('|'), alternatives: parts.length };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
