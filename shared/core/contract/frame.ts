import { isUtf8 } from 'node:buffer';
import { FrameError } from '../errors.js';
import { parseTimestamp, type Timestamp } from './timestamps.js';

/**
 * `framed-v1` (docs/chunk-contract.md): one JSON object per captured line, from which the exact
 * bytes a source printed can be rebuilt — text (or base64 of invalid UTF-8) plus its terminator.
 */
export type FrameStream = 'stdout' | 'stderr';

/** What followed the line: `''` = the line goes on in the next frame, or output ended without a newline. */
export type FrameTerminator = '\n' | '\r\n' | '\r' | '';

/**
 * The shipper's event marks (docs/chunk-contract.md, "Events"): `continue` (`"c":1`) = this line
 * continues the open event of its lane; `cut` (`"x":1`) = it would have, but that event reached
 * its bounds and ends before it (this line and the rest go on as lines).
 */
export type FrameMark = 'continue' | 'cut';

export interface Frame {
  /** Capture time, epoch milliseconds. */
  time: number;
  stream: FrameStream;
  /** Line number within the source (0, 1, 2… across chunks). */
  line: number;
  /** The line's raw bytes, without terminator. */
  bytes: Buffer;
  terminator: FrameTerminator;
  mark?: FrameMark | undefined;
}

/** The JSON of a mark, between `n` and `m` (so readers that look for `,"m":"` right after the number take the general path). */
export const MARK_FIELD: Record<FrameMark, string> = { continue: '"c":1,', cut: '"x":1,' };

const TERMINATOR_FIELD: Record<FrameTerminator, string> = { '\n': '', '\r\n': ',"e":"\\r\\n"', '\r': ',"e":"\\r"', '': ',"e":""' };

/** One frame as a JSON line (without the trailing newline). `m` for valid UTF-8, else `b` (base64). */
export function encodeFrame(frame: Frame): string {
  const head = `{"t":"${new Date(frame.time).toISOString()}","s":"${frame.stream}","n":${frame.line},${frame.mark ? MARK_FIELD[frame.mark] : ''}`;
  const payload = isUtf8(frame.bytes) ? `"m":${JSON.stringify(frame.bytes.toString('utf8'))}` : `"b":"${frame.bytes.toString('base64')}"`;
  return `${head}${payload}${TERMINATOR_FIELD[frame.terminator]}}`;
}

/** Parses one frame line; throws {@link FrameError} if it is not a well-formed `framed-v1` frame. */
export function decodeFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new FrameError('Frame is not JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FrameError('Frame is not a JSON object');
  const f = value as Record<string, unknown>;
  const time = typeof f['t'] === 'string' ? Date.parse(f['t']) : NaN;
  if (Number.isNaN(time)) throw new FrameError(`Frame has no valid capture time: ${JSON.stringify(f['t'])}`);
  if (f['s'] !== 'stdout' && f['s'] !== 'stderr') throw new FrameError(`Frame has no valid stream: ${JSON.stringify(f['s'])}`);
  if (typeof f['n'] !== 'number' || !Number.isSafeInteger(f['n']) || f['n'] < 0)
    throw new FrameError(`Frame has no valid line number: ${JSON.stringify(f['n'])}`);
  let bytes: Buffer;
  if (typeof f['m'] === 'string') bytes = Buffer.from(f['m'], 'utf8');
  else if (typeof f['b'] === 'string') bytes = Buffer.from(f['b'], 'base64');
  else throw new FrameError('Frame has neither "m" nor "b"');
  const e = f['e'] === undefined ? '\n' : f['e'];
  if (e !== '\n' && e !== '\r\n' && e !== '\r' && e !== '') throw new FrameError(`Frame has an unknown terminator: ${JSON.stringify(e)}`);
  const mark = markOf(f);
  return { time, stream: f['s'], line: f['n'], bytes, terminator: e, ...(mark ? { mark } : {}) };
}

/** What the indexer takes from a frame: anything usable, nothing required but the payload. */
export interface LenientFrame {
  /** `m` as text, or the raw bytes of `b`. */
  payload: string | Buffer;
  /** Capture time with its full precision (nanoseconds survive, unlike {@link Frame.time}). */
  time?: Timestamp;
  stream?: FrameStream;
  line?: number;
  /** The terminator, when the frame says (absent means `\n`). */
  terminator?: FrameTerminator;
  mark?: FrameMark;
}

/** `"c":1` / `"x":1`; anything else is no mark. */
function markOf(f: Record<string, unknown>): FrameMark | undefined {
  if (f['c'] === 1) return 'continue';
  return f['x'] === 1 ? 'cut' : undefined;
}

/**
 * The indexer's reading of a frame: unlike {@link decodeFrame} it indexes whatever it can — a
 * frame with a payload but a missing time, stream or number is still a line — and undefined
 * means "not a frame" (the caller indexes the raw line, tagged).
 */
export function readFrameLeniently(text: string): LenientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const f = value as Record<string, unknown>;
  let payload: string | Buffer;
  if (typeof f['m'] === 'string') payload = f['m'];
  else if (typeof f['b'] === 'string') payload = Buffer.from(f['b'], 'base64');
  else return undefined;
  const frame: LenientFrame = { payload };
  const time = parseTimestamp(f['t']);
  if (time) frame.time = time;
  if (f['s'] === 'stdout' || f['s'] === 'stderr') frame.stream = f['s'];
  if (typeof f['n'] === 'number' && Number.isSafeInteger(f['n'])) frame.line = f['n'];
  const e = f['e'];
  if (e === '\r' || e === '\r\n' || e === '') frame.terminator = e;
  const mark = markOf(f);
  if (mark) frame.mark = mark;
  return frame;
}

/**
 * Where the parts of one of the joblogs shipper's own frames are in its bytes: `{"t":"<24-char
 * ISO>","s":"stdout","n":7,["c":1,|"x":1,]"m":"…"[,"e":…]}`, exactly as its frame writer lays them
 * out. Reading them by position costs no JSON.parse and no string of the whole frame: the
 * readers slice what they need. Anything else (other field orders, `b`, extra fields, spaces) is
 * undefined, and its reader takes the general path ({@link readFrameLeniently}).
 */
export interface ShipperFrameLayout {
  stream: FrameStream;
  line: number;
  mark: FrameMark | undefined;
  terminator: FrameTerminator;
  /** The message's bytes are `json[start, end)`, between its quotes. */
  start: number;
  end: number;
  /** The message has a backslash: it needs unescaping ({@link shipperFramePayload}). */
  escaped: boolean;
}

const Q = 0x22; // "
const BACKSLASH = 0x5c;
/** `{"t":"…","s":"stdout","n":0,"m":""}`: the shortest frame the shipper writes. */
const MIN_FRAME_BYTES = 58;
const FRAME_HEAD = Buffer.from('{"t":"', 'latin1');
/** `t` is `toISOString()`: 24 characters, so it ends at a fixed place. */
const TIME_END = FRAME_HEAD.length + 24;
const STREAM_FIELD = Buffer.from('","s":"', 'latin1');
const LINE_FIELD = Buffer.from('","n":', 'latin1');
const MESSAGE_FIELD = Buffer.from('"m":"', 'latin1');
const MARKS: ReadonlyArray<[Buffer, FrameMark]> = [
  [Buffer.from(MARK_FIELD.continue, 'latin1'), 'continue'],
  [Buffer.from(MARK_FIELD.cut, 'latin1'), 'cut'],
];
// Longest first: `"}` is also the end of the others.
const ENDINGS: ReadonlyArray<[Buffer, FrameTerminator]> = (['\r\n', '', '\r', '\n'] as const).map((t) => [
  Buffer.from(`"${TERMINATOR_FIELD[t]}}`, 'latin1'),
  t,
]);

/** The layout of a frame the shipper wrote (above), or undefined. */
export function shipperFrameLayout(json: Buffer): ShipperFrameLayout | undefined {
  const n = json.length;
  if (n < MIN_FRAME_BYTES || !startsWithAt(json, FRAME_HEAD, 0) || !startsWithAt(json, STREAM_FIELD, TIME_END)) return undefined;
  // The time's characters as JSON takes them verbatim: printable ASCII, no quote, no backslash.
  for (let i = FRAME_HEAD.length; i < TIME_END; i++) {
    const c = json[i]!;
    if (c < 0x20 || c > 0x7e || c === Q || c === BACKSLASH) return undefined;
  }
  let i = TIME_END + STREAM_FIELD.length;
  const stream = json[i + 3] === 0x6f ? 'stdout' : 'stderr';
  if (!startsWithAt(json, STREAM_BYTES[stream], i)) return undefined;
  i += 6;
  if (!startsWithAt(json, LINE_FIELD, i)) return undefined;
  i += LINE_FIELD.length;
  const digits = i;
  let line = 0;
  for (; i < n && json[i]! >= 0x30 && json[i]! <= 0x39; i++) line = line * 10 + (json[i]! - 0x30);
  // JSON numbers have no leading zeros; past 15 digits a line number may not be a safe integer.
  if (i === digits || i - digits > 15 || (json[digits] === 0x30 && i - digits > 1) || json[i] !== 0x2c) return undefined;
  i++;
  let mark: FrameMark | undefined;
  for (const [field, name] of MARKS)
    if (startsWithAt(json, field, i)) {
      mark = name;
      i += field.length;
      break;
    }
  if (!startsWithAt(json, MESSAGE_FIELD, i)) return undefined;
  const start = i + MESSAGE_FIELD.length;
  for (const [ending, terminator] of ENDINGS) {
    const end = n - ending.length;
    if (end < start || !startsWithAt(json, ending, end)) continue;
    const backslash = json.indexOf(BACKSLASH, start);
    return { stream, line, mark, terminator, start, end, escaped: backslash !== -1 && backslash < end };
  }
  return undefined;
}

const STREAM_BYTES: Record<FrameStream, Buffer> = { stdout: Buffer.from('stdout', 'latin1'), stderr: Buffer.from('stderr', 'latin1') };

/** The frame's `t`, as written. */
export function shipperFrameTime(json: Buffer): string {
  return json.toString('latin1', FRAME_HEAD.length, TIME_END);
}

/**
 * The bytes of the last `t` read by {@link shipperFrameTimestamp} and what it gave. Zeros at first,
 * which no laid-out frame's time holds ({@link shipperFrameLayout} refuses control characters).
 */
const lastTime = { bytes: Buffer.alloc(TIME_END - FRAME_HEAD.length), timestamp: undefined as Timestamp | undefined };

/**
 * The frame's `t` parsed. The lines of one read of the job's output share their time, so a `t`
 * equal (byte for byte) to the previous frame's is answered without making a string of it.
 */
function shipperFrameTimestamp(json: Buffer): Timestamp | undefined {
  const last = lastTime.bytes;
  if (json.compare(last, 0, last.length, FRAME_HEAD.length, TIME_END) === 0) return lastTime.timestamp;
  json.copy(last, 0, FRAME_HEAD.length, TIME_END);
  lastTime.timestamp = parseTimestamp(shipperFrameTime(json));
  return lastTime.timestamp;
}

/**
 * The message of a laid-out frame as JSON.parse reads it, or undefined where JSON.parse would
 * refuse the frame (a raw quote or control character, a bad escape).
 */
export function shipperFramePayload(json: Buffer, layout: ShipperFrameLayout): string | undefined {
  if (layout.escaped) {
    try {
      return JSON.parse(json.toString('utf8', layout.start - 1, layout.end + 1)) as string;
    } catch {
      return undefined;
    }
  }
  const text = json.toString('utf8', layout.start, layout.end);
  return NOT_IN_JSON_STRING.test(text) ? undefined : text;
}

/**
 * What {@link readFrameLeniently} reads from the whole frame's text, read from the bytes of a frame
 * the shipper laid out (no JSON.parse of the frame, no string of it); undefined for any other frame.
 */
export function readShipperFrame(json: Buffer): ShipperFrame | undefined {
  const layout = shipperFrameLayout(json);
  if (!layout) return undefined;
  const payload = shipperFramePayload(json, layout);
  if (payload === undefined) return undefined;
  const frame: ShipperFrame = { payload, literal: { bytes: json, start: layout.start - 1, end: layout.end + 1 } };
  const time = shipperFrameTimestamp(json);
  if (time) frame.time = time;
  frame.stream = layout.stream;
  frame.line = layout.line;
  if (layout.terminator !== '\n') frame.terminator = layout.terminator;
  if (layout.mark) frame.mark = layout.mark;
  return frame;
}

/**
 * A string as a JSON string literal, quotes included, in `bytes[start, end)`: a frame's message as
 * the frame holds it, which a document can take without escaping the text again.
 */
export interface JsonLiteral {
  bytes: Buffer;
  start: number;
  end: number;
}

/**
 * One of the shipper's frames, read: its message both as text and as the JSON string literal in the
 * frame (valid JSON, as {@link shipperFramePayload} read it; its bytes valid UTF-8 only where the
 * frame's are).
 */
export interface ShipperFrame extends LenientFrame {
  payload: string;
  literal: JsonLiteral;
}

/** What a JSON string holds only escaped (the backslash is ruled out before). */
const NOT_IN_JSON_STRING = /["\u0000-\u001f]/;

/**
 * Whether the message of a laid-out frame with no backslash in it (`!layout.escaped`) is the
 * content of a JSON string as it stands, read from its bytes without making a string of it. It is
 * not when it holds a raw quote or a raw control character (a tab included): JSON.parse refuses
 * such a frame, and so the indexer ({@link readFrameLeniently}) indexes it whole, as a line that is
 * not a frame; a reader that slices the message out must do the same.
 */
export function shipperFrameMessageIsPlain(json: Buffer, layout: ShipperFrameLayout): boolean {
  for (let i = layout.start; i < layout.end; i++) {
    const c = json[i]!;
    if (c < 0x20 || c === Q) return false;
  }
  return true;
}

function startsWithAt(json: Buffer, prefix: Buffer, at: number): boolean {
  if (at + prefix.length > json.length) return false;
  for (let i = 0; i < prefix.length; i++) if (json[at + i] !== prefix[i]) return false;
  return true;
}

/** The bytes a frame stands for: its text plus its terminator. */
export function frameBytes(frame: Pick<Frame, 'bytes' | 'terminator'>): Buffer {
  return frame.terminator === '' ? frame.bytes : Buffer.concat([frame.bytes, Buffer.from(frame.terminator, 'latin1')]);
}

/** Every frame of a (gunzipped) `framed-v1` chunk body. */
export function decodeFrames(body: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of body.split('\n')) if (line !== '') frames.push(decodeFrame(line));
  return frames;
}

/** The exact bytes each stream printed, from frames of any number of chunks (in any order). */
export function reassembleStreams(frames: readonly Frame[]): Record<FrameStream, Buffer> {
  const sorted = [...frames].sort((a, b) => a.line - b.line);
  const parts: Record<FrameStream, Buffer[]> = { stdout: [], stderr: [] };
  for (const frame of sorted) {
    parts[frame.stream].push(frame.bytes);
    if (frame.terminator !== '') parts[frame.stream].push(Buffer.from(frame.terminator, 'latin1'));
  }
  return { stdout: Buffer.concat(parts.stdout), stderr: Buffer.concat(parts.stderr) };
}
