/**
 * What the download file does to control characters in a line's text (docs/downloads.md): a line
 * can never introduce another line, source, stream, time or gap marker, and nothing in it can act
 * on a terminal beyond colours when the file is `cat`ed or `less -R`ed.
 *
 * - `\n`, `\r` and the other C0 controls but tab become their visible Control Pictures (`␊`, `␍`,
 *   `␀`…, U+2400 + code), DEL becomes `␡`;
 * - ESC stays only where it starts an SGR sequence (`ESC [ 0-9;: m`, colours and styles); any other
 *   escape — OSC (titles, hyperlinks, clipboard), cursor movement, screen clearing — loses its ESC,
 *   which becomes `␛`, so the rest shows as text;
 * - C1 controls encoded in UTF-8 (U+0080–U+009F) become U+FFFD.
 * Everything else — UTF-8 text, invalid UTF-8, tabs — is copied byte for byte.
 */
const TAB = 0x09;
const ESC = 0x1b;
const DEL = 0x7f;

/** True when `text` holds nothing to neutralise (the common case: copied as it is). */
export function isInert(text: Buffer): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c < 0x20 ? c !== TAB : c === DEL || c === 0xc2) return false;
  }
  return true;
}

/** Writes `text` neutralised into `out` at `at`; returns the bytes written (at most 3 × its length). */
export function writeNeutralised(text: Buffer, out: Buffer, at: number): number {
  let o = at;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ESC) {
      const sgrEnd = sgrEndAt(text, i);
      if (sgrEnd > 0) {
        o += text.copy(out, o, i, sgrEnd);
        i = sgrEnd - 1;
        continue;
      }
    }
    if ((c < 0x20 && c !== TAB) || c === DEL) {
      o = writePicture(out, o, c === DEL ? 0x2421 : 0x2400 + c);
    } else if (c === 0xc2 && i + 1 < text.length && text[i + 1]! >= 0x80 && text[i + 1]! <= 0x9f) {
      o = writePicture(out, o, 0xfffd);
      i++;
    } else {
      out[o++] = c;
    }
  }
  return o - at;
}

/** The end (exclusive) of an SGR sequence starting at `i` (`ESC [ params m`), or 0. */
function sgrEndAt(text: Buffer, i: number): number {
  if (text[i + 1] !== 0x5b) return 0;
  for (let j = i + 2; j < text.length && j < i + 64; j++) {
    const c = text[j]!;
    if (c === 0x6d) return j + 1; // m
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b || c === 0x3a)) return 0;
  }
  return 0;
}

/** A BMP code point as 3 UTF-8 bytes. */
function writePicture(out: Buffer, o: number, cp: number): number {
  out[o] = 0xe0 | (cp >> 12);
  out[o + 1] = 0x80 | ((cp >> 6) & 0x3f);
  out[o + 2] = 0x80 | (cp & 0x3f);
  return o + 3;
}
