/**
 * Colour codes in printed text: SGR sequences (`ESC [ params m`: colours and styles), the only
 * escapes that the download file keeps and the viewer renders (shared/core/download/neutralise.ts).
 * A word printed inside them (`\x1b[32mINFO\x1b[0m`) is shown as `INFO`, but a tokenizer reads
 * `32mINFO` as one word: whatever reads words or levels out of a line reads them with the codes left out.
 */

/** Every SGR sequence: `ESC [`, digits, `;` or `:` (truecolour sub-parameters), `m`. */
export const SGR = /\x1b\[[0-9;:]*m/g;

/**
 * The text as it is shown: with its colour codes left out; `text` itself when it holds no ESC.
 *
 * @example
 * withoutColours('\x1b[32mINFO\x1b[0m step 3') // → 'INFO step 3'
 */
export function withoutColours(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR, '') : text;
}

/** A text with its colour codes left out, and where each of its characters is in the original. */
export interface ShownText {
  text: string;
  /** `at[i]`: the original's offset of the shown text's `i`-th UTF-16 unit; `at[text.length]` is the original's length. */
  at: Int32Array;
}

/** {@link withoutColours} with the way back to the original's offsets, or undefined when the text has no colour code. */
export function shownText(original: string): ShownText | undefined {
  if (!original.includes('\x1b')) return undefined;
  const pieces: string[] = [];
  const at: number[] = [];
  let from = 0;
  for (const m of original.matchAll(SGR)) {
    keep(original, from, m.index, pieces, at);
    from = m.index + m[0].length;
  }
  if (from === 0) return undefined;
  keep(original, from, original.length, pieces, at);
  at.push(original.length);
  return { text: pieces.join(''), at: Int32Array.from(at) };
}

function keep(original: string, from: number, to: number, pieces: string[], at: number[]): void {
  pieces.push(original.slice(from, to));
  for (let i = from; i < to; i++) at.push(i);
}
