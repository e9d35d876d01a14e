import type { FrameMark, FrameStream, FrameTerminator } from '../core/contract/index.js';
import { compileRules, laneOf, LineVerdict, Recogniser, type PatternRules } from '../core/multiline/index.js';

/** How the shipper marks events (docs/shipper.md, "Events"); plain data, so it crosses to the framing worker. */
export interface EventMarkerOptions {
  rules?: PatternRules | undefined;
  maxLines: number;
  maxBytes: number;
  /** How long a chunk due by age may wait for an open event to end. */
  holdMs: number;
  /** An event with no new line for this long is over (for sealing). */
  idleMs: number;
}

/**
 * The shipper's side of event grouping (docs/chunk-contract.md, "Events and progress bars"): it
 * sees each stream in order, so it decides, frame by frame, whether a line continues the open
 * event of its lane (`c`) or would continue one past its bounds (`x`), and what a sealed chunk
 * must say about events still open at its end (`open-events`). It keeps an event within two
 * chunks: an event still open when a second chunk is sealed is cut there.
 *
 * @example
 * const marker = new EventMarker({ maxLines: 500, maxBytes: 1 << 20, holdMs: 2000, idleMs: 500 });
 * const mark = marker.mark('stderr', line.bytes, line.terminator, line.time); // 'continue' | 'cut' | undefined
 * const openLanes = marker.sealed(); // when a chunk is sealed
 */
export class EventMarker {
  readonly #o: EventMarkerOptions;
  readonly #recogniser: Recogniser;
  /** A job's own patterns may start on any line: then every line is read. */
  readonly #anyLineMayStart: boolean;
  /** What ended the last line of each stream (a `\r` run or a split line is never part of an event). */
  readonly #lastEnd = new Map<FrameStream, FrameTerminator>();
  readonly #lastAt = new Map<string, number>();
  /** The chunk (count of chunks sealed before it) each open event started in. */
  readonly #openedIn = new Map<string, number>();
  #chunk = 0;

  constructor(options: EventMarkerOptions) {
    this.#o = options;
    const rules = compileRules(options.rules ?? {});
    this.#recogniser = new Recogniser({ maxLines: options.maxLines, maxBytes: options.maxBytes, rules });
    this.#anyLineMayStart = rules !== undefined;
  }

  /** The mark of one captured line (in capture order). */
  mark(stream: FrameStream, bytes: Buffer, terminator: FrameTerminator, time: number): FrameMark | undefined {
    const previous = this.#lastEnd.get(stream);
    this.#lastEnd.set(stream, terminator);
    const barOrPart = terminator === '\r' || terminator === '' || previous === '\r' || previous === '';
    // Most lines (timestamps, JSON, progress bar states) can start nothing and continue nothing: no string is made for them.
    if (this.#recogniser.idle && (barOrPart || (!this.#anyLineMayStart && !Recogniser.mayStart(bytes[0])))) return undefined;
    const text = bytes.toString('utf8');
    const lane = laneOf(stream, text);
    if (barOrPart) {
      this.#recogniser.close(lane.key);
      return undefined;
    }
    const verdict = this.#recogniser.next(lane.key, lane.offset === 0 ? text : text.slice(lane.offset), bytes.length);
    this.#lastAt.set(lane.key, time);
    if (verdict === LineVerdict.continue) return 'continue';
    if (verdict === LineVerdict.cut) return 'cut';
    if (this.#recogniser.isOpen(lane.key)) this.#openedIn.set(lane.key, this.#chunk);
    return undefined;
  }

  /**
   * When a chunk that became due at `due` should be sealed: at once when no event is open;
   * otherwise when its events have been idle for `idleMs` (they are over then), at most
   * `holdMs` after `due`. Events found idle are closed.
   */
  sealTime(due: number, now: number): number {
    let until = due;
    for (const lane of this.#recogniser.openLanes()) {
      const idleAt = (this.#lastAt.get(lane) ?? 0) + this.#o.idleMs;
      if (idleAt <= now) this.#recogniser.close(lane);
      else until = Math.max(until, idleAt);
    }
    return Math.min(until, due + this.#o.holdMs);
  }

  /** A chunk is sealed: the lanes whose event goes on into the next chunk. An event that already crossed one boundary is cut. */
  sealed(): string[] {
    const open: string[] = [];
    for (const lane of this.#recogniser.openLanes()) {
      if ((this.#openedIn.get(lane) ?? this.#chunk) < this.#chunk) this.#recogniser.cut(lane);
      else open.push(lane);
    }
    this.#chunk++;
    return open.sort();
  }
}
