import { SEQUENCE_STRIDE } from '../contract/constants.js';
import { readFrameLeniently } from '../contract/frame.js';
import { parseChunkKey } from '../contract/chunk-key.js';
import { documentIdPrefix } from '../ingest/chunk-context.js';
import type { RawLine } from '../ingest/line-splitter.js';
import type { Hit } from './query.js';
import { printedText } from './printed-text.js';

/** At most this many states are returned, the latest ones (a bar of an hour redraws tens of thousands of times). */
export const MAX_REDRAW_STATES = 1000;

/** Which of a chunk's lines are the earlier states of a collapsed bar (from its document). */
export interface BarStates {
  bucket: string;
  chunkKey: string;
  /** Position of the bar's first state in its chunk. */
  position: number;
  stream: string;
  /** Framed chunks: line numbers of the first and the shown… last state. */
  firstLine?: number;
  lastLine?: number;
  /** Positions the bar stands for (`lines` chunks: consecutive from `position`). */
  span: number;
  /** The text the document shows: every other state is an earlier one. */
  shown: string;
}

/**
 * Where a collapsed bar's states are, from its document — only when the document's chunk key
 * is the job's own and the one its `_id` was made from (the id prefix is a hash of bucket and
 * key), so a document can only ever send the API to its own chunk.
 */
export function barStatesOf(hit: Hit & { _id?: string }, o: { bucket: string; jobId: string; chunkPrefix: string }): BarStates | undefined {
  const s = hit._source ?? {};
  const j = s['joblogs'] ?? {};
  const key = j['chunk_key'];
  if (typeof key !== 'string' || typeof hit._id !== 'string' || typeof j['redraws'] !== 'number') return undefined;
  let parsed: ReturnType<typeof parseChunkKey>;
  try {
    parsed = parseChunkKey(key, o.chunkPrefix);
  } catch {
    return undefined;
  }
  if (parsed.jobId !== o.jobId || parsed.source !== j['source'] || !hit._id.startsWith(`${documentIdPrefix(o.bucket, key)}-`)) return undefined;
  const sequence = Number(s['event']?.['sequence']);
  const states: BarStates = {
    bucket: o.bucket,
    chunkKey: key,
    position: sequence % SEQUENCE_STRIDE,
    stream: String(j['stream'] ?? 'stdout'),
    span: Number(j['span'] ?? 1),
    shown: printedText(s),
  };
  if (typeof j['line'] === 'number' && typeof j['last_line'] === 'number') Object.assign(states, { firstLine: j['line'], lastLine: j['last_line'] });
  return states;
}

/**
 * The earlier states of a bar, read from its chunk's lines: in a framed chunk the frames of its
 * stream from its first line to its last (marked frames belong to events, not bars), in a
 * `lines` chunk the positions it spans; blank states and the shown one left out, the latest
 * {@link MAX_REDRAW_STATES} kept.
 *
 * @example
 * const reader = new RedrawReader(bar, chunk.format === 'framed-v1', chunkTime);
 * for (const line of lines) if (!reader.add(line)) break;
 * reader.states; // [{ time, text }]
 */
export class RedrawReader {
  readonly states: Array<{ time: string; text: string }> = [];
  readonly #bar: BarStates;
  readonly #framed: boolean;
  readonly #time: string;

  constructor(bar: BarStates, framed: boolean, chunkTime: string) {
    this.#bar = bar;
    this.#framed = framed;
    this.#time = chunkTime;
  }

  /** Takes one line of the chunk; false once the bar's lines are behind. */
  add(line: RawLine): boolean {
    const bar = this.#bar;
    if (line.position < bar.position) return true;
    if (!this.#framed) {
      if (line.position >= bar.position + bar.span) return false;
      this.#keep(line.bytes.toString('utf8'), this.#time);
      return true;
    }
    const frame = readFrameLeniently(line.bytes.toString('utf8'));
    if (!frame || frame.line === undefined || bar.firstLine === undefined || bar.lastLine === undefined) return true;
    if (frame.line > bar.lastLine) return false;
    if (frame.line < bar.firstLine || frame.stream !== bar.stream || frame.mark) return true;
    this.#keep(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8'), frame.time?.iso ?? this.#time);
    return true;
  }

  /** The states but the one shown (the last state with content). */
  get earlier(): Array<{ time: string; text: string }> {
    const shown = this.states.map((s) => s.text).lastIndexOf(this.#bar.shown);
    const earlier = shown === -1 ? this.states : this.states.slice(0, shown);
    return earlier.slice(-MAX_REDRAW_STATES);
  }

  #keep(text: string, time: string): void {
    if (text.trim() !== '') this.states.push({ time, text });
  }
}
