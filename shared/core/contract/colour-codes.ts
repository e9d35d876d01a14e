/**
 * Colour codes in printed text: SGR sequences (`ESC [ params m`: colours and styles), the only
 * escapes that the download file keeps and the viewer renders (shared/core/download/neutralise.ts).
 * A word printed inside them (`\x1b[32mINFO\x1b[0m`) is shown as `INFO`, but a tokenizer reads
 * `32mINFO` as one word: whatever reads words or levels out of a line reads them with the codes left out.
 */

/** Every SGR sequence: `ESC [`, digits, `;` or `:` (truecolour sub-parameters), `m`. */
const SGR = /\x1b\[[0-9;:]*m/g;

/**
 * The text as it is shown: with its colour codes left out; `text` itself when it holds no ESC.
 *
 * @example
 * withoutColours('\x1b[32mINFO\x1b[0m step 3') // → 'INFO step 3'
 */
export function withoutColours(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR, '') : text;
}

/** A printed text as shown, and its colour codes apart: `shown` and `codes` give the printed text back ({@link withColours}). */
export interface ColourSplit {
  shown: string;
  /** Each code as `<offset in shown>@<params>`, in order, comma-separated: `0@32,4@0` for `\x1b[32mINFO\x1b[0m`. */
  codes: string;
}

/**
 * Splits a printed text into the text as shown and its colour codes; undefined when it has none.
 *
 * @example
 * splitColours('\x1b[32mINFO\x1b[0m step 3') // → { shown: 'INFO step 3', codes: '0@32,4@0' }
 */
export function splitColours(printed: string): ColourSplit | undefined {
  // A loop over the ESCs, not a global regular expression: most lines of a coloured log take this path.
  let esc = printed.indexOf('\x1b');
  if (esc < 0) return undefined;
  let shown = '';
  let codes = '';
  let from = 0;
  while (esc >= 0) {
    const end = sgrEnd(printed, esc);
    if (end < 0) {
      esc = printed.indexOf('\x1b', esc + 1);
      continue;
    }
    shown += printed.slice(from, esc);
    codes += `${codes === '' ? '' : ','}${shown.length}@${printed.slice(esc + 2, end - 1)}`;
    from = end;
    esc = printed.indexOf('\x1b', end);
  }
  if (codes === '') return undefined;
  return { shown: shown + printed.slice(from), codes };
}

/** The end (exclusive) of the SGR sequence at `i` (`ESC [ 0-9;: m`), or -1: {@link SGR} by hand. */
function sgrEnd(text: string, i: number): number {
  if (text.charCodeAt(i + 1) !== 0x5b) return -1;
  for (let j = i + 2; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x6d) return j + 1;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b || c === 0x3a)) return -1;
  }
  return -1;
}

/**
 * The printed text back from {@link splitColours}'s parts (`shown` itself without codes). Codes it
 * did not write (not in order, past the end, not SGR parameters) are not applied: the text is
 * shown without colours rather than with bytes that were never printed.
 */
export function withColours(shown: string, codes: unknown): string {
  if (typeof codes !== 'string' || codes === '') return shown;
  const out: string[] = [];
  let from = 0;
  for (const code of codes.split(',')) {
    const m = CODE.exec(code);
    const at = m ? Number(m[1]) : Number.NaN;
    if (!m || at < from || at > shown.length) return shown;
    out.push(shown.slice(from, at), `\x1b[${m[2]}m`);
    from = at;
  }
  out.push(shown.slice(from));
  return out.join('');
}

const CODE = /^(\d{1,9})@([0-9;:]*)$/;

/** A text with its colour codes left out, and where each of its characters is in the original. */
export interface ShownText {
  text: string;
  /** `at[i]`: the original's offset of the shown text's `i`-th UTF-16 unit; `at[text.length]` is the original's length. */
  at: Int32Array;
}

/** {@link withoutColours} with the way back to the original's offsets, or undefined when the text has no colour code. */
export function shownText(original: string): ShownText | undefined {
  const split = splitColours(original);
  if (split === undefined) return undefined;
  const at = new Int32Array(split.shown.length + 1);
  let shift = 0;
  let next = 0;
  for (const code of split.codes.split(',')) {
    const sep = code.indexOf('@');
    const offset = Number(code.slice(0, sep));
    for (; next < offset; next++) at[next] = next + shift;
    // The code itself: `ESC [` + params + `m`.
    shift += code.length - sep - 1 + 3;
  }
  for (; next <= split.shown.length; next++) at[next] = next + shift;
  return { text: split.shown, at };
}
