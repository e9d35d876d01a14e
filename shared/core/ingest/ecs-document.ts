import { isUtf8 } from 'node:buffer';
import type { ChunkContext } from './chunk-context.js';
import { documentId } from './chunk-context.js';
import { splitColours } from '../contract/colour-codes.js';
import { ChunkFormat, SEQUENCE_STRIDE } from '../contract/constants.js';
import { LineTag } from './constants.js';
import type { RawLine } from './line-splitter.js';
import { readFrameLeniently, readShipperFrame, type FrameMark, type FrameTerminator, type JsonLiteral, type LenientFrame } from '../contract/frame.js';
import { errorFields, laneOf } from '../multiline/index.js';
import { parseLogLine, type ParsedLine } from './parse-line.js';
import type { Timestamp } from '../contract/timestamps.js';
import { encoded, JsonBytes, type NodeBuffer } from './json-bytes.js';
import { writeJsonTerms } from './json-terms.js';

/** The Elasticsearch document of one line (ECS 8/9 field names; https://www.elastic.co/docs/reference/ecs). */
export interface EcsDocument {
  '@timestamp': string;
  /** The text as shown: colour codes are in `joblogs.colours` (the printed text is both, `printedText`). */
  message: string;
  log?: { level?: string; logger?: string };
  trace?: { id: string };
  span?: { id: string };
  service?: { name: string };
  host?: { name: string };
  container?: { id: string };
  error?: { message?: string; type?: string; stack_trace?: string };
  event: { dataset: string; sequence: number };
  data_stream: { type: 'logs'; dataset: string; namespace: string };
  labels: { job_id: string };
  tags?: string[];
  joblogs: {
    source: string;
    stream: string;
    chunk_seq: number;
    part?: number;
    line?: number;
    /** Capture time (epoch ms): the order of a job's lines across sources. */
    captured: number;
    /** The terminator printed after the text, when it was not `\n` (`\r`: a progress bar redraw). */
    end?: string;
    producer?: string;
    original_timestamp?: string;
    /** Lines an event or a collapsed progress bar stands for (from `line`). */
    span?: number;
    last_line?: number;
    /** The line numbers of an event whose lines are not consecutive (another stream printed between them). */
    lines?: number[];
    /** The same for a chunk without line numbers: the positions of its lines in the chunk. */
    positions?: number[];
    /** Earlier states of a progress bar this document stands for. */
    redraws?: number;
    /** The chunk a collapsed bar's states are read back from. */
    chunk_key?: string;
    /** `json`'s leaves as `path=value`, where the cluster searches them so (json-terms.ts). */
    json_kv?: string[];
    /** `message`'s colour codes, taken out of it so that its words are searched as shown (contract/colour-codes.ts). */
    colours?: string;
  };
  json?: Record<string, unknown>;
}

export interface IndexableLine {
  id: string;
  document: EcsDocument;
}

/**
 * One line's document, already serialised: what the hot path hands to the bulk body. `json` is
 * the writer's own buffer: valid until its next document (copy it to keep it).
 */
export interface SerializedLine {
  id: string;
  json: Buffer;
  /** Its `log.level` (undefined: none) and `joblogs.stream`, counted into the chunk's record. */
  level: string | undefined;
  stream: string;
}

/** Lines dated more than this after their chunk are implausible: the chunk's time is used instead. */
const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/**
 * Writes the documents of one chunk. Everything that is the same for every line of the chunk
 * (data stream, job, source, chunk number, producer…) is serialised once here; per line only the
 * line's own fields are. That is most of the indexer's CPU budget (bench/indexer-cpu.ts).
 * Pure: the same (line, chunk) always gives the same id and bytes.
 */
export class EcsDocumentWriter {
  readonly #progress = new ChunkProgress();
  /** A tag every document of the chunk carries (a refused per-job pattern). */
  readonly #constantTag: string | undefined;
  /** The document being written (one buffer for every document of the chunk). */
  readonly #out = new JsonBytes();
  /** Its `joblogs.json_kv` array, where the chunk's documents carry one. */
  readonly #terms: JsonBytes | undefined;

  private readonly eventPrefix: Buffer;
  private readonly constantFields: string;
  private readonly joblogsPrefix: string;
  /** After `event.sequence`, per stream: up to `joblogs.stream` with no tags, and from `joblogs` on when there are tags. */
  private readonly tails = new Map<string, { untagged: Buffer; constant: Buffer; joblogs: Buffer }>();
  private readonly defaults: { trace: Buffer; span: Buffer; service: Buffer; host: Buffer; container: Buffer };

  constructor(private readonly chunk: ChunkContext) {
    this.#constantTag = chunk.multiline?.refused ? LineTag.multilinePatternRefused : undefined;
    this.#terms = chunk.jsonTerms ? new JsonBytes(1024) : undefined;
    const q = JSON.stringify;
    this.eventPrefix = encoded(`,"event":{"dataset":${q(chunk.dataset)},"sequence":`);
    this.constantFields = `,"data_stream":{"type":"logs","dataset":${q(chunk.dataset)},"namespace":${q(chunk.stage)}},"labels":{"job_id":${q(chunk.jobId)}}`;
    this.joblogsPrefix = `,"joblogs":{"source":${q(chunk.source)},"chunk_seq":${chunk.seq}${chunk.producer ? `,"producer":${q(chunk.producer)}` : ''}`;
    this.defaults = {
      trace: encoded(chunk.trace ? `,"trace":{"id":"${chunk.trace.traceId}"}` : ''),
      span: encoded(chunk.trace?.spanId ? `,"span":{"id":"${chunk.trace.spanId}"}` : ''),
      service: encoded(chunk.service ? `,"service":{"name":${q(chunk.service)}}` : ''),
      host: encoded(chunk.host ? `,"host":{"name":${q(chunk.host)}}` : ''),
      container: encoded(chunk.containerId ? `,"container":{"id":${q(chunk.containerId)}}` : ''),
    };
  }

  /** Line numbers and capture times of the documents written so far. */
  get progress(): Readonly<ChunkProgress> {
    return this.#progress;
  }

  /** The serialised document of one raw line, or undefined for a line with no content. */
  write(line: RawLine): SerializedLine | undefined {
    return this.writeLine(this.decode(line));
  }

  /** What a raw line holds: for `framed-v1` the frame's text, time, stream, number, terminator and mark. */
  decode(line: RawLine): DecodedLine {
    const { chunk } = this;
    // The shipper's own frames are read from their bytes; only other frames are decoded whole and parsed.
    const shipped = chunk.format === ChunkFormat.framedV1 ? readShipperFrame(line.bytes) : undefined;
    const text = shipped ? shipped.payload : decode(line.bytes);
    const decoded: DecodedLine = {
      position: line.position,
      text,
      tags: isInvalidUtf8(text, line.bytes) ? [LineTag.invalidUtf8] : NO_TAGS,
      stream: chunk.stream,
    };
    if (line.part !== undefined) decoded.part = line.part;
    if (shipped) {
      // Invalid UTF-8 is in the literal as it was printed; the text has U+FFFD for it.
      if (decoded.tags === NO_TAGS) decoded.literal = shipped.literal;
      return withFrame(decoded, shipped);
    }
    if (chunk.format !== ChunkFormat.framedV1) {
      decoded.bytes = line.bytes.length;
      if (line.cr) decoded.terminator = '\r';
      return decoded;
    }
    const frame = readFrameLeniently(decoded.text);
    if (!frame) {
      decoded.tags = [...decoded.tags, LineTag.badFrame];
      return decoded;
    }
    if (typeof frame.payload === 'string') {
      decoded.text = frame.payload;
    } else {
      decoded.text = decode(frame.payload);
      if (isInvalidUtf8(decoded.text, frame.payload)) decoded.tags = [...decoded.tags, LineTag.invalidUtf8];
    }
    return withFrame(decoded, frame);
  }

  /** The document of one decoded line, or undefined for a line with no content. */
  writeLine(line: DecodedLine): SerializedLine | undefined {
    if (line.text.trim() === '') return undefined;
    return this.#build(line, line, parseLogLine(line.text), { message: undefined, tags: line.tags, extra: '' });
  }

  /**
   * The one document of a multi-line event (docs/chunk-contract.md, "Events"): its lines joined
   * with `\n`, at the place (id, sequence, line number, capture time) of its first line, with
   * the error it reports (`error.*`, `log.level: error`) and how many lines it stands for.
   * `lines` may end with lines of the next chunk; `tags` says how it ended when not naturally.
   */
  writeEvent(lines: readonly DecodedLine[], tags: readonly string[] = []): SerializedLine | undefined {
    const first = lines[0]!;
    const texts = lines.map((l) => l.text);
    const message = texts.join('\n');
    if (message.trim() === '') return undefined;
    const parsed = parseLogLine(first.text);
    const error = errorFields(texts.map(withoutRankPrefix));
    const level = parsed.level ?? (error.type ? 'error' : undefined);
    const q = JSON.stringify;
    const numbers = lines.map((l) => l.lineNumber);
    let extra = `,"span":${lines.length}`;
    const last = numbers.at(-1);
    const consecutive = (xs: ReadonlyArray<number | undefined>) => xs.every((n, i) => i === 0 || n === xs[i - 1]! + 1);
    if (last !== undefined && numbers.every((n) => n !== undefined)) {
      extra += `,"last_line":${last}`;
      if (!consecutive(numbers)) extra += `,"lines":${q(numbers)}`;
    } else if (lines.every((l) => l.position >= first.position) && !consecutive(lines.map((l) => l.position))) {
      // Chunks without line numbers: where its lines are in the chunk (ranks of one stream interleave).
      extra += `,"positions":${q(lines.map((l) => l.position))}`;
    }
    const end = lines.at(-1)!.terminator;
    const allTags = [...new Set([...lines.flatMap((l) => l.tags), ...tags])];
    this.#progress.see(last, (lines.at(-1)!.captured ?? first.captured ?? this.chunk.chunkTime).ms);
    const eventParsed: ParsedLine = { message, error: { ...error, stack_trace: message } };
    if (parsed.timestamp) eventParsed.timestamp = parsed.timestamp;
    if (parsed.badTimestamp !== undefined) eventParsed.badTimestamp = parsed.badTimestamp;
    if (level !== undefined) eventParsed.level = level;
    return this.#build(first, end === undefined ? first : { ...first, terminator: end }, eventParsed, { message, tags: allTags, extra });
  }

  /**
   * The one document of a progress bar's states in this chunk (`\r` redraws): the latest state
   * with content, at the place of the first one, with how many earlier states it stands for
   * (`joblogs.redraws`, read back with `GET /jobs/{jobId}/redraws`). A bar of one state is a line.
   */
  writeBar(states: readonly DecodedLine[]): SerializedLine | undefined {
    if (states.length === 1) return this.writeLine(states[0]!);
    let shown: DecodedLine | undefined;
    for (let i = states.length - 1; i >= 0 && !shown; i--) if (states[i]!.text.trim() !== '') shown = states[i];
    if (!shown) return undefined;
    const first = states[0]!;
    const last = states.at(-1)!;
    let extra = `,"span":${states.length},"redraws":${states.length - 1},"chunk_key":${JSON.stringify(this.chunk.key)}`;
    if (last.lineNumber !== undefined && first.lineNumber !== undefined) extra += `,"last_line":${last.lineNumber}`;
    this.#progress.see(last.lineNumber, (last.captured ?? this.chunk.chunkTime).ms);
    const tags = [...new Set(states.flatMap((s) => s.tags))];
    const content = last.terminator === undefined ? { ...shown } : { ...shown, terminator: last.terminator };
    if (last.terminator === undefined) delete content.terminator;
    return this.#build(first, content, parseLogLine(shown.text), { message: undefined, tags, extra });
  }

  /**
   * One document: `anchor` gives its place (id, sequence, line number, capture time, stream),
   * `content` its text, time and terminator. For a single line both are the line.
   */
  #build(
    anchor: DecodedLine,
    content: DecodedLine,
    parsed: ParsedLine,
    o: { message: string | undefined; tags: readonly string[]; extra: string },
  ): SerializedLine {
    const { chunk, defaults } = this;
    const fallback = anchor.captured ?? chunk.chunkTime;
    const contentTime = content.captured ?? fallback;
    const timestamp = plausible(parsed.timestamp, contentTime) ?? contentTime;
    const originalTimestamp = parsed.badTimestamp ?? (parsed.timestamp && timestamp !== parsed.timestamp ? parsed.timestamp.iso : undefined);
    // Written aside first: whether they were cut is a tag, which comes before them.
    const terms = parsed.fields !== undefined ? this.#terms : undefined;
    terms?.reset();
    const termsCut = terms !== undefined && writeJsonTerms(terms, parsed.fields!);
    let allTags = o.tags;
    if (anchor.part !== undefined || this.#constantTag || originalTimestamp !== undefined || termsCut) {
      const tags = [...o.tags];
      if (anchor.part !== undefined) tags.push(LineTag.split);
      if (this.#constantTag) tags.push(this.#constantTag);
      if (originalTimestamp !== undefined) tags.push(LineTag.badTimestamp);
      if (termsCut) tags.push(LineTag.jsonTermsCut);
      allTags = tags;
    }

    const out = this.#out;
    out.reset();
    out.bytes(K.timestamp);
    out.ascii(timestamp.iso);
    // The text as shown is what gets searched; its colour codes are kept apart (`joblogs.colours`).
    const printed = o.message ?? parsed.message;
    const colours = splitColours(printed);
    out.bytes(K.message);
    // A frame's message is already a JSON string: copied, not escaped again.
    const literal = colours === undefined && o.message === undefined && printed === content.text ? content.literal : undefined;
    if (literal !== undefined) out.slice(literal.bytes, literal.start, literal.end);
    else out.string(colours?.shown ?? printed);
    if (parsed.level !== undefined || parsed.logger !== undefined) {
      out.bytes(K.log);
      if (parsed.level !== undefined) {
        out.bytes(K.level);
        out.string(parsed.level);
      }
      if (parsed.logger !== undefined) {
        out.bytes(parsed.level !== undefined ? K.nextLogger : K.logger);
        out.string(parsed.logger);
      }
      out.byte(CLOSE);
    }
    // A line with its own trace is a different span of that trace: the chunk's span is not its span.
    if (parsed.traceId) idField(out, K.trace, parsed.traceId);
    else out.bytes(defaults.trace);
    if (parsed.spanId) idField(out, K.span, parsed.spanId);
    else if (!parsed.traceId) out.bytes(defaults.span);
    stringField(out, K.service, parsed.service, defaults.service);
    stringField(out, K.host, parsed.host, defaults.host);
    stringField(out, K.container, parsed.containerId, defaults.container);
    if (parsed.error) {
      out.bytes(K.error);
      out.json(parsed.error);
    }
    out.bytes(this.eventPrefix);
    out.number(chunk.seq * SEQUENCE_STRIDE + anchor.position);
    const tail = this.#tail(anchor.stream);
    if (allTags.length > 0) {
      out.bytes(tail.constant);
      out.bytes(K.tags);
      out.json(allTags);
      out.bytes(tail.joblogs);
    } else {
      out.bytes(tail.untagged);
    }
    if (anchor.part !== undefined) numberField(out, K.part, anchor.part);
    if (anchor.lineNumber !== undefined) numberField(out, K.line, anchor.lineNumber);
    numberField(out, K.captured, fallback.ms);
    if (content.terminator !== undefined && content.terminator !== '\n') {
      out.bytes(K.end);
      out.string(content.terminator);
    }
    if (o.extra !== '') out.utf8(o.extra);
    this.#progress.see(anchor.lineNumber, fallback.ms);
    if (originalTimestamp !== undefined) {
      out.bytes(K.originalTimestamp);
      out.string(originalTimestamp);
    }
    if (terms !== undefined && terms.length > 0) {
      out.bytes(K.jsonTerms);
      out.bytes(terms.view());
    }
    if (colours !== undefined) {
      out.bytes(K.colours);
      out.ascii(`"${colours.codes}"`);
    }
    out.byte(CLOSE);
    if (parsed.fields) {
      out.bytes(K.json);
      out.json(parsed.fields);
    }
    out.byte(CLOSE);
    return { id: documentId(chunk.idPrefix, anchor.position), json: out.view(), level: parsed.level, stream: anchor.stream };
  }

  /** The constant bytes after `event.sequence` for a stream, encoded once per chunk and stream. */
  #tail(stream: string): { untagged: Buffer; constant: Buffer; joblogs: Buffer } {
    let tail = this.tails.get(stream);
    if (!tail) {
      const constant = `}${this.constantFields}`;
      const joblogs = `${this.joblogsPrefix},"stream":${JSON.stringify(stream)}`;
      tail = { untagged: encoded(constant + joblogs), constant: encoded(constant), joblogs: encoded(joblogs) };
      this.tails.set(stream, tail);
    }
    return tail;
  }
}

const CLOSE = 0x7d;

/** Field names and punctuation every document has, encoded once. */
const K = {
  timestamp: encoded('{"@timestamp":"'),
  message: encoded('","message":'),
  log: encoded(',"log":{'),
  level: encoded('"level":'),
  logger: encoded('"logger":'),
  nextLogger: encoded(',"logger":'),
  trace: encoded(',"trace":{"id":"'),
  span: encoded(',"span":{"id":"'),
  service: encoded(',"service":{"name":'),
  host: encoded(',"host":{"name":'),
  container: encoded(',"container":{"id":'),
  error: encoded(',"error":'),
  tags: encoded(',"tags":'),
  part: encoded(',"part":'),
  line: encoded(',"line":'),
  captured: encoded(',"captured":'),
  end: encoded(',"end":'),
  originalTimestamp: encoded(',"original_timestamp":'),
  json: encoded(',"json":'),
  jsonTerms: encoded(',"json_kv":'),
  colours: encoded(',"colours":'),
};
const ID_END = encoded('"}');

/** `,"trace":{"id":"…"}` for a normalised (hex) id. */
function idField(out: JsonBytes, head: Buffer, id: string): void {
  out.bytes(head);
  out.ascii(id);
  out.bytes(ID_END);
}

/** `,"service":{"name":"…"}` for the line's own value, else the chunk's (possibly nothing). */
function stringField(out: JsonBytes, head: Buffer, value: string | undefined, fallback: Buffer): void {
  if (value === undefined) return out.bytes(fallback);
  out.bytes(head);
  out.string(value);
  out.byte(CLOSE);
}

function numberField(out: JsonBytes, head: Buffer, value: number): void {
  out.bytes(head);
  out.number(value);
}

/** One line as the indexer reads it, before it becomes (part of) a document. */
export interface DecodedLine {
  /** Position in its chunk (the basis of `_id`). */
  position: number;
  part?: number;
  text: string;
  /** `invalid_utf8`, `bad_frame`. */
  tags: string[];
  stream: string;
  captured?: Timestamp;
  /** The frame's line number (framed chunks). */
  lineNumber?: number;
  /** What followed the text when it was not `\n` (framed chunks; `\r` in `lines` chunks). */
  terminator?: FrameTerminator;
  mark?: FrameMark;
  /** The text as a JSON string literal, where the chunk holds it so (the shipper's frames). */
  literal?: JsonLiteral;
  /** The text's printed size in bytes, when known without measuring (`lines` chunks). */
  bytes?: number;
}

/** What a frame says about its line: capture time, stream, number, terminator, mark. */
function withFrame(decoded: DecodedLine, frame: LenientFrame): DecodedLine {
  if (frame.time) decoded.captured = frame.time;
  if (frame.stream) decoded.stream = frame.stream;
  if (frame.line !== undefined) decoded.lineNumber = frame.line;
  if (frame.terminator !== undefined) decoded.terminator = frame.terminator;
  if (frame.mark) decoded.mark = frame.mark;
  return decoded;
}

function withoutRankPrefix(text: string): string {
  return text.slice(laneOf('', text).offset);
}

/** What a chunk's documents covered: the line numbers and capture times seen. */
export class ChunkProgress {
  firstLine: number | undefined;
  lastLine: number | undefined;
  capturedFrom: number | undefined;
  capturedTo: number | undefined;

  see(line: number | undefined, captured: number): void {
    if (line !== undefined) {
      this.firstLine = this.firstLine === undefined ? line : Math.min(this.firstLine, line);
      this.lastLine = this.lastLine === undefined ? line : Math.max(this.lastLine, line);
    }
    this.capturedFrom = this.capturedFrom === undefined ? captured : Math.min(this.capturedFrom, captured);
    this.capturedTo = this.capturedTo === undefined ? captured : Math.max(this.capturedTo, captured);
  }
}

/**
 * The document of one line as an object (for tests, reports and readers of this code): exactly
 * what {@link EcsDocumentWriter} writes.
 */
export function toEcsDocument(line: RawLine, chunk: ChunkContext): IndexableLine | undefined {
  const written = new EcsDocumentWriter(chunk).write(line);
  return written && { id: written.id, document: JSON.parse(written.json.toString('utf8')) as EcsDocument };
}

/** The tags of a line that has none (shared: a line with a tag gets an array of its own). */
const NO_TAGS = Object.freeze([]) as unknown as string[];

function decode(bytes: Buffer): string {
  const text = (bytes as NodeBuffer).utf8Slice(0, bytes.length);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** U+FFFD in the text means either invalid input or a literal U+FFFD: only isUtf8 can tell. */
function isInvalidUtf8(text: string, bytes: Buffer): boolean {
  return text.includes('\uFFFD') && !isUtf8(bytes);
}

function plausible(ts: Timestamp | undefined, reference: Timestamp): Timestamp | undefined {
  if (!ts) return undefined;
  return ts.ms - reference.ms > MAX_FUTURE_SKEW_MS ? undefined : ts;
}
