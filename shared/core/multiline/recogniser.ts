import { EventBounds, LineVerdict } from './constants.js';
import { BUILT_IN_GRAMMARS, type Grammar } from './grammars.js';
import type { UserRules } from './patterns.js';

/** First bytes a built-in recogniser can start on: letters, a space, `/`, `<` (Node.js locations) and `[` (a rank prefix). */
const MAY_START = new Uint8Array(256);
for (let b = 0x41; b <= 0x5a; b++) MAY_START[b] = 1;
for (let b = 0x61; b <= 0x7a; b++) MAY_START[b] = 1;
for (const b of [0x20, 0x2f, 0x3c, 0x5b]) MAY_START[b] = 1;

export interface RecogniserOptions {
  maxLines?: number;
  maxBytes?: number;
  rules?: UserRules | undefined;
}

interface OpenEvent {
  grammar: Grammar;
  phase: string;
  lines: number;
  bytes: number;
  /** The event reached its bounds: what would continue it goes on as lines. */
  cut: boolean;
  /** Cut by the caller ({@link Recogniser.cut}): the next line that would continue it is the `cut` one. */
  cutNext?: boolean;
}

/**
 * Says, line by line and lane by lane (see `lanes.ts`), whether a line starts an event (or is a
 * line on its own: the same thing until a next line continues it), continues the open event of
 * its lane, or would continue it past its bounds (`cut`). Pure and streaming: it never looks
 * ahead, so the shipper can mark each frame as it writes it and the indexer reach the same
 * verdicts for chunks without marks.
 *
 * @example
 * const recogniser = new Recogniser();
 * recogniser.next('stderr', 'Traceback (most recent call last):', 34); // 'start'
 * recogniser.next('stderr', '  File "train.py", line 3, in <module>', 38); // 'continue'
 */
export class Recogniser {
  readonly #open = new Map<string, OpenEvent>();
  readonly #grammars: readonly Grammar[];
  readonly #maxLines: number;
  readonly #maxBytes: number;

  constructor(options: RecogniserOptions = {}) {
    this.#maxLines = options.maxLines ?? EventBounds.maxLines;
    this.#maxBytes = options.maxBytes ?? EventBounds.maxBytes;
    const { first, last } = options.rules ?? {};
    this.#grammars = [...(first ? [first] : []), ...BUILT_IN_GRAMMARS, ...(last ? [last] : [])];
  }

  /** The verdict on one line of `lane`: `text` after its rank prefix, `bytes` its printed length. */
  next(lane: string, text: string, bytes: number): LineVerdict {
    const open = this.#open.get(lane);
    if (open) {
      const phase = open.grammar.next(open.phase, text);
      if (phase !== undefined) {
        open.phase = phase;
        if (open.cut) return LineVerdict.start;
        if (open.cutNext || open.lines + 1 > this.#maxLines || open.bytes + 1 + bytes > this.#maxBytes) {
          open.cut = true;
          return LineVerdict.cut;
        }
        open.lines++;
        open.bytes += 1 + bytes;
        return LineVerdict.continue;
      }
    }
    for (const grammar of this.#grammars) {
      const phase = grammar.start(text);
      if (phase === undefined) continue;
      this.#open.set(lane, { grammar, phase, lines: 1, bytes, cut: bytes > this.#maxBytes });
      return LineVerdict.start;
    }
    if (open) this.#open.delete(lane);
    return LineVerdict.start;
  }

  /** Ends the open event of a lane (idle, a progress bar, a part of a long line): the next line cannot continue it. */
  close(lane: string): void {
    this.#open.delete(lane);
  }

  /** Ends the open event of a lane early (the shipper keeps an event within two chunks): the next line that would continue it is `cut`. */
  cut(lane: string): void {
    const open = this.#open.get(lane);
    if (open && !open.cut) open.cutNext = true;
  }

  /** Whether an event that more lines could continue is open in the lane. */
  isOpen(lane: string): boolean {
    const open = this.#open.get(lane);
    return open !== undefined && !open.cut && !open.cutNext;
  }

  /** Lanes with an open event (more lines could continue it). */
  openLanes(): string[] {
    return [...this.#open].filter(([, e]) => !e.cut && !e.cutNext).map(([lane]) => lane);
  }

  /** Whether any lane holds state (an open event, or one cut whose rest is still going on). */
  get idle(): boolean {
    return this.#open.size === 0;
  }

  /** Whether a line starting with this byte could start an event of a built-in recogniser (or carry a rank prefix). */
  static mayStart(firstByte: number | undefined): boolean {
    return firstByte !== undefined && MAY_START[firstByte] === 1;
  }

  /** Lines of the open event of a lane so far. */
  linesOf(lane: string): number {
    return this.#open.get(lane)?.lines ?? 0;
  }
}
