import { ChunkFormat, DEFAULT_SOURCE_STREAM } from '../contract/constants.js';
import {
  readFrameLeniently,
  shipperFrameLayout,
  shipperFrameMessageIsPlain,
  shipperFramePayload,
  shipperFrameTime,
  type FrameStream,
} from '../contract/frame.js';
import { LineSplitter } from '../ingest/line-splitter.js';
import { parseTimestamp } from '../contract/timestamps.js';
import { isInert, writeNeutralised } from './neutralise.js';

/**
 * How the download file is read out of chunks and written (docs/downloads.md): one text line per
 * printed line — `<capture time> <stream> <text>` (with the source before the stream when the job
 * has several) — with the exact bytes the job printed as text; continuation frames joined back.
 */
export interface PrintedLine {
  /** Capture time (epoch ms): the merge key across sources. */
  time: number;
  stream: FrameStream;
  /** The line as printed, without terminator (parts of a long line joined). */
  bytes: Buffer;
  /** Index of the line's first frame (or text line) in its chunk: where a resumed read starts. */
  index: number;
  /** Line number within the source (`n` of the first frame), when the chunk says. */
  line: number | undefined;
  /** `n` of the last frame (differs from {@link line} when a long line came in parts). */
  lastLine: number | undefined;
}

/** What a chunk's metadata says about lines that carry no time/stream of their own. */
export interface LineDefaults {
  format: string | undefined;
  time: number;
  stream: FrameStream;
}

export function lineDefaults(metadata: Record<string, string | undefined>, fallbackTime: number): LineDefaults {
  const stream = metadata['stream'] === 'stderr' ? 'stderr' : DEFAULT_SOURCE_STREAM;
  return { format: metadata['format'], time: parseTimestamp(metadata['chunk-start'])?.ms ?? fallbackTime, stream };
}

// Frames are JSON (a few hundred bytes, ≤ ~1.4× the shipper's line limit); plain lines may be long.
const MAX_RAW_LINE = 64 * 1024 * 1024;

/**
 * The printed lines of one gunzipped chunk, in order, from `startIndex` on, in batches (one per
 * decompressed buffer: per-line async steps would cost more than the reading). A line whose last
 * frame ends with `e: ""` continues in the next frame, possibly of the next chunk: it comes last
 * with `complete: false`, and the caller joins it with what follows.
 */
export async function* readPrintedLines(
  body: AsyncIterable<Buffer>,
  defaults: LineDefaults,
  startIndex = 0,
): AsyncGenerator<Array<PrintedLine & { complete: boolean }>> {
  const framed = defaults.format === ChunkFormat.framedV1;
  const splitter = new LineSplitter(MAX_RAW_LINE);
  let time = defaults.time;
  let pending: (PrintedLine & { parts: Buffer[] }) | undefined;
  let out: Array<PrintedLine & { complete: boolean }> = [];

  const take = (raw: { bytes: Buffer; position: number; part?: number }): void => {
    if (raw.position < startIndex) return;
    if (!framed) {
      // A plain line cut by the splitter's limit is still one line: only its first part starts it.
      if (raw.part !== undefined && raw.part > 0 && pending) {
        pending.parts.push(raw.bytes);
        return;
      }
      if (pending) out.push(finish(pending, true));
      pending = { time, stream: defaults.stream, bytes: raw.bytes, index: raw.position, line: undefined, lastLine: undefined, parts: [raw.bytes] };
      if (raw.part === undefined) {
        out.push(finish(pending, true));
        pending = undefined;
      }
      return;
    }
    if (raw.bytes.length === 0) return;
    const frame = readFrameFast(raw.bytes) ?? readFrameSlow(raw.bytes);
    const payload = frame === undefined ? raw.bytes : frame.payload;
    if (frame?.time !== undefined) time = Math.max(time, frame.time);
    const continues = frame !== undefined && frameContinues(raw.bytes);
    if (pending) {
      pending.parts.push(payload);
      pending.lastLine = frame?.line ?? pending.lastLine;
    } else {
      pending = {
        time,
        stream: frame?.stream ?? defaults.stream,
        bytes: payload,
        index: raw.position,
        line: frame?.line,
        lastLine: frame?.line,
        parts: [payload],
      };
    }
    if (!continues) {
      out.push(finish(pending, true));
      pending = undefined;
    }
  };

  for await (const buf of body) {
    for (const raw of splitter.push(buf)) take(raw);
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  for (const raw of splitter.end()) take(raw);
  if (pending) out.push(finish(pending, !framed));
  if (out.length > 0) yield out;
}

function finish(p: PrintedLine & { parts: Buffer[] }, complete: boolean): PrintedLine & { complete: boolean } {
  const bytes = p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts);
  return { time: p.time, stream: p.stream, bytes, index: p.index, line: p.line, lastLine: p.lastLine, complete };
}

interface FrameView {
  payload: Buffer;
  time: number | undefined;
  stream: FrameStream | undefined;
  line: number | undefined;
}

function readFrameSlow(json: Buffer): FrameView | undefined {
  const frame = readFrameLeniently(json.toString('utf8'));
  if (!frame) return undefined;
  return {
    payload: typeof frame.payload === 'string' ? Buffer.from(frame.payload, 'utf8') : frame.payload,
    time: frame.time?.ms,
    stream: frame.stream,
    line: frame.line,
  };
}

/**
 * The shipper's own frames, read without JSON.parse ({@link shipperFrameLayout}): a message that
 * needs no unescaping is sliced straight out of the buffer (it is UTF-8 already). Anything else
 * returns undefined for the slow path.
 */
function readFrameFast(json: Buffer): FrameView | undefined {
  const layout = shipperFrameLayout(json);
  if (!layout) return undefined;
  const time = parseTimestamp(shipperFrameTime(json))?.ms;
  const { stream, line } = layout;
  if (!layout.escaped) {
    // A raw quote or control character in it: not JSON, so the slow path gives the whole frame, as the index has it.
    return shipperFrameMessageIsPlain(json, layout) ? { payload: json.subarray(layout.start, layout.end), time, stream, line } : undefined;
  }
  const text = shipperFramePayload(json, layout);
  return text === undefined ? undefined : { payload: Buffer.from(text, 'utf8'), time, stream, line };
}

/** `"e":""` — the shipper writes the terminator field last, so a suffix check suffices. */
function frameContinues(json: Buffer): boolean {
  return json.length >= 8 && json.toString('latin1', json.length - 8) === ',"e":""}';
}

/**
 * Writes printed lines and gap markers as the download file's text straight into one buffer (a
 * gzip member's worth), with no per-line allocation: `<time> [<source> ]<stream> <text>\n`.
 *
 * @example
 * const w = new DownloadTextWriter(1, 1 << 20);
 * w.line('main', { time, stream: 'stdout', bytes });
 * if (w.length >= 1 << 20) compress(w.take());
 */
export class DownloadTextWriter {
  readonly #withSource: boolean;
  readonly #capacity: number;
  #buf: Buffer;
  #used = 0;
  #second = NaN;
  #secondPrefix = Buffer.alloc(0);

  constructor(sources: number, capacity = 1 << 20) {
    this.#withSource = sources > 1;
    this.#capacity = capacity;
    this.#buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.#used;
  }

  line(source: string, line: Pick<PrintedLine, 'time' | 'stream' | 'bytes'>): void {
    this.#reserve(24 + 1 + source.length * 3 + 1 + 7 + line.bytes.length * 3 + 1);
    this.#time(line.time);
    this.#buf[this.#used++] = 0x20;
    if (this.#withSource) {
      this.#used += this.#buf.write(source, this.#used, 'utf8');
      this.#buf[this.#used++] = 0x20;
    }
    this.#used += this.#buf.write(line.stream, this.#used, 'latin1');
    this.#buf[this.#used++] = 0x20;
    // The text as printed, but never a new line, a forged marker or a terminal command (neutralise.ts).
    this.#used += isInert(line.bytes) ? line.bytes.copy(this.#buf, this.#used) : writeNeutralised(line.bytes, this.#buf, this.#used);
    this.#buf[this.#used++] = 0x0a;
  }

  /** The explicit marker where chunks are missing (never a silent hole). */
  gap(source: string, gap: Gap): void {
    const chunks = gap.fromSeq === gap.toSeq ? `chunk ${gap.fromSeq}` : `chunks ${gap.fromSeq}-${gap.toSeq}`;
    const lines =
      gap.fromLine !== undefined && gap.toLine !== undefined && gap.toLine >= gap.fromLine
        ? `lines ${gap.fromLine}-${gap.toLine} (${gap.toLine - gap.fromLine + 1})`
        : 'an unknown number of lines';
    const what = gap.reason === 'missing' ? 'never arrived' : `could not be read (${gap.reason})`;
    const text = Buffer.from(` joblogs [gap] ${chunks} of source ${source} ${what}: ${lines} missing\n`, 'utf8');
    this.#reserve(24 + text.length);
    this.#time(gap.time);
    this.#used += text.copy(this.#buf, this.#used);
  }

  /** Hands over what was written (a new buffer takes its place: the old one may be compressed meanwhile). */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#used);
    this.#buf = Buffer.allocUnsafe(this.#capacity);
    this.#used = 0;
    return out;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#used + bytes));
    this.#buf.copy(grown, 0, 0, this.#used);
    this.#buf = grown;
  }

  /** RFC 3339 with milliseconds; the `YYYY-MM-DDTHH:MM:SS.` prefix is formatted once per second. */
  #time(ms: number): void {
    const millis = ((ms % 1000) + 1000) % 1000;
    const second = ms - millis;
    if (second !== this.#second) {
      this.#second = second;
      this.#secondPrefix = Buffer.from(new Date(second).toISOString().slice(0, -4), 'latin1');
    }
    if (this.#secondPrefix.length !== 20) {
      // Outside years 0000–9999 (not a capture time): no fast path.
      this.#used += this.#buf.write(new Date(ms).toISOString(), this.#used, 'latin1');
      return;
    }
    this.#used += this.#secondPrefix.copy(this.#buf, this.#used);
    this.#buf[this.#used++] = 0x30 + Math.floor(millis / 100);
    this.#buf[this.#used++] = 0x30 + (Math.floor(millis / 10) % 10);
    this.#buf[this.#used++] = 0x30 + (millis % 10);
    this.#buf[this.#used++] = 0x5a; // Z
  }
}

/** Chunks `fromSeq…toSeq` of a source are missing; the lines they held, when the neighbours say. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
  fromLine: number | undefined;
  toLine: number | undefined;
  /** Where the marker sorts: the time of the line before it. */
  time: number;
  /** `missing`, or why a chunk that exists could not be read (e.g. corrupt gzip). */
  reason: string;
}
