/**
 * Terminal text to what a person should see: SGR colours and styles become segments with
 * classes or colours; every other escape (OSC titles and links, cursor movement, erase) and
 * C0 control is dropped, so nothing a job prints can reach the page as markup or behaviour.
 */
import Anser from 'anser';

export interface Segment {
  text: string;
  /** CSS classes: `fg-red`, `bg-bright-blue`, `bold`, `italic`, `underline`, `dim`, … */
  classes: string[];
  /** Inline colours for the 256-colour palette beyond 16 and truecolor, as `rgb(…)`. */
  color: string | null;
  background: string | null;
}

// OSC … BEL/ST, CSI sequences other than SGR, other two-byte escapes, C0 controls but tab, DEL.
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
const NON_SGR_CSI = /\x1b\[[0-?]*[ -/]*[@-ln-~]/g;
// Two-byte escapes (ESC c, ESC 7…) and charset selections (ESC ( B): intermediates, then a final byte.
const OTHER_ESCAPE = /\x1b(?!\[)[\x20-\x2f]*[\x30-\x7e]|\x1b(?!\[)/g;
const CONTROLS = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/g;
const SGR = /\x1b\[[0-9;:]*m/g;

/** The text with every escape sequence and control removed except SGR. */
export function neutralise(text: string): string {
  return text.replace(OSC, '').replace(NON_SGR_CSI, '').replace(OTHER_ESCAPE, '').replace(CONTROLS, '');
}

/** The text as it reads on screen: no escapes at all. */
export function stripEscapes(text: string): string {
  return neutralise(text).replace(SGR, '');
}

/** Styled segments of one line. */
export function ansiSegments(text: string): Segment[] {
  const clean = neutralise(text);
  if (!clean.includes('\x1b')) return clean ? [{ text: clean, classes: [], color: null, background: null }] : [];
  return Anser.ansiToJson(clean, { json: true, remove_empty: true, use_classes: true }).map((entry) => ({
    text: entry.content,
    classes: [...colourClass('fg', entry.fg), ...colourClass('bg', entry.bg), ...entry.decorations],
    color: inlineColour(entry.fg, entry.fg_truecolor),
    background: inlineColour(entry.bg, entry.bg_truecolor),
  }));
}

/** `ansi-red` → `fg-red`; palette entries 0–15 map to the 16 themed colours. */
function colourClass(layer: 'fg' | 'bg', value: string | null): string[] {
  if (!value || value === 'ansi-truecolor') return [];
  const palette = /^ansi-palette-(\d+)$/.exec(value);
  if (palette) {
    const index = Number(palette[1]);
    return index < 16 ? [`${layer}-${BASIC[index]}`] : [];
  }
  return [`${layer}-${value.replace(/^ansi-/, '')}`];
}

const COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
const BASIC = [...COLOURS, ...COLOURS.map((c) => `bright-${c}`)];

function inlineColour(value: string | null, truecolor: string | null): string | null {
  if (value === 'ansi-truecolor' && truecolor) return `rgb(${truecolor})`;
  const palette = value && /^ansi-palette-(\d+)$/.exec(value);
  return palette && Number(palette[1]) >= 16 ? paletteColour(Number(palette[1])) : null;
}

/** xterm's 256-colour palette beyond the first 16: a 6×6×6 cube, then 24 greys. */
export function paletteColour(index: number): string {
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const cube = index - 16;
  const level = (n: number): number => (n === 0 ? 0 : 55 + n * 40);
  return `rgb(${level(Math.floor(cube / 36))}, ${level(Math.floor(cube / 6) % 6)}, ${level(cube % 6)})`;
}
