import { EventBounds, laneOf, LineVerdict, Recogniser, type UserRules } from '../multiline/index.js';
import { LineTag } from './constants.js';
import type { DecodedLine } from './ecs-document.js';

/** What one or more lines of a chunk become. */
export type LineGroup =
  | { kind: 'line'; line: DecodedLine }
  /** A multi-line event; `tags` say how it ended when not naturally (cut at its bounds). */
  | { kind: 'event'; lines: DecodedLine[]; tags: string[] }
  /** A progress bar's states in this chunk (`\r` redraws), oldest first. */
  | { kind: 'bar'; states: DecodedLine[] }
  /** Lines at the head of a marked chunk that continue an event of the previous chunk (`c` marks before any other line of their lane). `cut`: the next line of the lane says that event was cut before it. */
  | { kind: 'leading'; lane: string; lines: DecodedLine[]; cut: boolean }
  /** The event of a lane the chunk lists as open at its end: it goes on in the next chunk (`lines` may be empty). */
  | { kind: 'open'; lane: string; lines: DecodedLine[] };

export interface GrouperOptions {
  /** Grouping off: every line is a line (`INDEXER_GROUPING=off`, and the benchmark's baseline). */
  enabled: boolean;
  /** The frames carry the shipper's marks: follow them. Otherwise recognise events here. */
  marked: boolean;
  /** Lanes the chunk lists as open at its end (marked chunks). */
  openLanes: readonly string[];
  rules?: UserRules | undefined;
  maxLines?: number;
  maxBytes?: number;
}

interface OpenGroup {
  lines: DecodedLine[];
  bytes: number;
}

/**
 * Groups a chunk's decoded lines, in chunk order, into lines, events and progress bars
 * (docs/chunk-contract.md, "Events and progress bars"):
 * - a run of `\r`-ended lines of one stream (and the line that ends it) is one bar;
 * - in a marked chunk a line without a mark opens a group of its lane and lines marked `c`
 *   join it; in other chunks a {@link Recogniser} decides the same from the text;
 * - a line split into parts is never part of an event or a bar.
 * A line of a lane is held until the next line of that lane says whether it continues;
 * {@link safePosition} tells how far every line has gone out in a group.
 *
 * @example
 * const grouper = new LineGrouper({ enabled: true, marked: false, openLanes: [] }, (group) => write(group));
 * for (const line of lines) grouper.add(line);
 * grouper.end();
 */
export class LineGrouper {
  readonly #o: GrouperOptions;
  readonly #emit: (group: LineGroup) => void;
  readonly #recogniser: Recogniser | undefined;
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #groups = new Map<string, OpenGroup>();
  readonly #bars = new Map<string, DecodedLine[]>();
  readonly #leading = new Map<string, DecodedLine[]>();
  /** Lanes that had a line without a `c` mark in this chunk (their continuation is not leading). */
  readonly #started = new Set<string>();
  /** Lanes whose event was cut: what would continue it goes on as lines. */
  readonly #cut = new Set<string>();
  /** Streams whose last line ended without a terminator (a part of a long line follows). */
  readonly #inPart = new Set<string>();

  constructor(options: GrouperOptions, emit: (group: LineGroup) => void) {
    this.#o = options;
    this.#emit = emit;
    this.#maxLines = options.maxLines ?? EventBounds.maxLines;
    this.#maxBytes = options.maxBytes ?? EventBounds.maxBytes;
    if (options.enabled && !options.marked) this.#recogniser = new Recogniser({ maxLines: this.#maxLines, maxBytes: this.#maxBytes, rules: options.rules });
  }

  add(line: DecodedLine): void {
    if (!this.#o.enabled) return this.#emit({ kind: 'line', line });
    // A marked line belongs to an event of its lane, never to a bar another lane of its stream draws.
    const bar = line.mark ? undefined : this.#bars.get(line.stream);
    if (bar || (line.terminator === '\r' && !line.mark)) return this.#addBarState(line, bar);
    const lane = laneOf(line.stream, line.text);
    if (this.#isPart(line)) {
      this.#closeLane(lane.key);
      return this.#emit({ kind: 'line', line });
    }
    if (this.#o.marked) this.#addMarked(line, lane.key);
    else this.#addRecognised(line, lane.key, lane.offset);
  }

  /** The chunk is read: every held line goes out (lanes listed as open as `open`). */
  end(): void {
    for (const [stream, states] of this.#bars) {
      this.#bars.delete(stream);
      this.#emit({ kind: 'bar', states });
    }
    for (const lane of [...this.#leading.keys()]) this.#endLeading(lane, false);
    const listed = new Set(this.#o.enabled ? this.#o.openLanes : []);
    for (const [lane, group] of this.#groups) {
      this.#groups.delete(lane);
      if (listed.delete(lane)) this.#emit({ kind: 'open', lane, lines: group.lines });
      else this.#emitGroup(group.lines, []);
    }
    for (const lane of listed) this.#emit({ kind: 'open', lane, lines: [] });
  }

  /** Whether a line of the lane without a `c` mark came (its leading continuation, if any, has gone out). */
  started(lane: string): boolean {
    return this.#started.has(lane);
  }

  /** The lowest position of a line still held (`next` when none is): every line below it has gone out. */
  safePosition(next: number): number {
    let safe = next;
    for (const group of this.#groups.values()) safe = Math.min(safe, group.lines[0]!.position);
    for (const states of this.#bars.values()) safe = Math.min(safe, states[0]!.position);
    for (const lines of this.#leading.values()) safe = Math.min(safe, lines[0]!.position);
    return safe;
  }

  #addBarState(line: DecodedLine, bar: DecodedLine[] | undefined): void {
    this.#closeLane(laneOf(line.stream, line.text).key);
    if (bar) bar.push(line);
    else this.#bars.set(line.stream, [line]);
    if (line.terminator === '\r') return;
    const states = this.#bars.get(line.stream)!;
    this.#bars.delete(line.stream);
    this.#emit({ kind: 'bar', states });
  }

  #isPart(line: DecodedLine): boolean {
    const continued = this.#inPart.has(line.stream);
    if (line.terminator === '') this.#inPart.add(line.stream);
    else if (continued) this.#inPart.delete(line.stream);
    return continued || line.terminator === '' || line.part !== undefined;
  }

  #addMarked(line: DecodedLine, lane: string): void {
    if (line.mark === 'continue') {
      const leading = this.#leading.get(lane);
      if (leading) return void leading.push(line);
      if (!this.#started.has(lane)) return void this.#leading.set(lane, [line]);
      const group = this.#groups.get(lane);
      if (group && !this.#cut.has(lane)) return this.#append(lane, group, line);
      if (!this.#cut.has(lane)) return this.#open(lane, line);
      return this.#emit({ kind: 'line', line });
    }
    // The lane's first line without a `c`: its leading continuation (if any) ends; an `x` says the previous chunk's event was cut.
    if (this.#leading.has(lane)) this.#endLeading(lane, line.mark === 'cut');
    else if (line.mark === 'cut' && !this.#started.has(lane)) this.#emit({ kind: 'leading', lane, lines: [], cut: true });
    this.#started.add(lane);
    const group = this.#groups.get(lane);
    if (group) this.#emitGroup(group.lines, line.mark === 'cut' ? [LineTag.eventCut] : []);
    this.#cut.delete(lane);
    this.#open(lane, line);
  }

  #addRecognised(line: DecodedLine, lane: string, offset: number): void {
    const text = offset === 0 ? line.text : line.text.slice(offset);
    const verdict = this.#recogniser!.next(lane, text, sizeOf(line));
    const group = this.#groups.get(lane);
    if (verdict === LineVerdict.continue && group) return void this.#appendUnchecked(group, line);
    if (group) {
      this.#groups.delete(lane);
      this.#emitGroup(group.lines, verdict === LineVerdict.cut ? [LineTag.eventCut] : []);
    }
    if (this.#recogniser!.isOpen(lane)) this.#groups.set(lane, { lines: [line], bytes: sizeOf(line) });
    else this.#emit({ kind: 'line', line });
  }

  #open(lane: string, line: DecodedLine): void {
    this.#groups.set(lane, { lines: [line], bytes: sizeOf(line) });
  }

  /** Adds a marked continuation within the bounds; past them the event is cut and the rest are lines. */
  #append(lane: string, group: OpenGroup, line: DecodedLine): void {
    const bytes = sizeOf(line);
    if (group.lines.length + 1 > this.#maxLines || group.bytes + 1 + bytes > this.#maxBytes) {
      this.#groups.delete(lane);
      this.#cut.add(lane);
      this.#emitGroup(group.lines, [LineTag.eventCut]);
      return this.#emit({ kind: 'line', line });
    }
    group.lines.push(line);
    group.bytes += 1 + bytes;
  }

  #appendUnchecked(group: OpenGroup, line: DecodedLine): void {
    group.lines.push(line);
    group.bytes += 1 + sizeOf(line);
  }

  /** A bar or a part of a long line ends the lane's event. */
  #closeLane(lane: string): void {
    this.#recogniser?.close(lane);
    if (this.#leading.has(lane)) this.#endLeading(lane, false);
    this.#started.add(lane);
    this.#cut.delete(lane);
    const group = this.#groups.get(lane);
    if (!group) return;
    this.#groups.delete(lane);
    this.#emitGroup(group.lines, []);
  }

  #endLeading(lane: string, cut: boolean): void {
    const lines = this.#leading.get(lane)!;
    this.#leading.delete(lane);
    this.#emit({ kind: 'leading', lane, lines, cut });
  }

  #emitGroup(lines: DecodedLine[], tags: string[]): void {
    if (lines.length === 1 && tags.length === 0) this.#emit({ kind: 'line', line: lines[0]! });
    else this.#emit({ kind: 'event', lines, tags });
  }
}

/** The printed size of a line's text: the raw length when the chunk gave it, else its UTF-8 length. */
function sizeOf(line: DecodedLine): number {
  return line.bytes ?? Buffer.byteLength(line.text);
}
