import { isUtf8 } from 'node:buffer';
import type { ChunkContext } from './chunk-context.js';
import { documentId } from './chunk-context.js';
import { ChunkFormat, SEQUENCE_STRIDE } from '../contract/constants.js';
import { LineTag } from './constants.js';
import type { RawLine } from './line-splitter.js';
import { readFrameLeniently, type FrameMark, type FrameTerminator } from '../contract/frame.js';
import { errorFields, laneOf } from '../multiline/index.js';
import { parseLogLine, type ParsedLine } from './parse-line.js';
import type { Timestamp } from '../contract/timestamps.js';

/** The Elasticsearch document of one line (ECS 8/9 field names; https://www.elastic.co/docs/reference/ecs). */
export interface EcsDocument {
  '@timestamp': string;
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
  };
  json?: Record<string, unknown>;
}

export interface IndexableLine {
  id: string;
  document: EcsDocument;
}

/** One line's document, already serialised: what the hot path hands to the bulk body. */
export interface SerializedLine {
  id: string;
  json: string;
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

  private readonly eventPrefix: string;
  private readonly constantFields: string;
  private readonly joblogsPrefix: string;
  private readonly defaults: { trace: string; span: string; service: string; host: string; container: string };

  constructor(private readonly chunk: ChunkContext) {
    this.#constantTag = chunk.multiline?.refused ? LineTag.multilinePatternRefused : undefined;
    const q = JSON.stringify;
    this.eventPrefix = `,"event":{"dataset":${q(chunk.dataset)},"sequence":`;
    this.constantFields = `,"data_stream":{"type":"logs","dataset":${q(chunk.dataset)},"namespace":${q(chunk.stage)}},"labels":{"job_id":${q(chunk.jobId)}}`;
    this.joblogsPrefix = `,"joblogs":{"source":${q(chunk.source)},"chunk_seq":${chunk.seq}${chunk.producer ? `,"producer":${q(chunk.producer)}` : ''}`;
    this.defaults = {
      trace: chunk.trace ? `,"trace":{"id":"${chunk.trace.traceId}"}` : '',
      span: chunk.trace?.spanId ? `,"span":{"id":"${chunk.trace.spanId}"}` : '',
      service: chunk.service ? `,"service":{"name":${q(chunk.service)}}` : '',
      host: chunk.host ? `,"host":{"name":${q(chunk.host)}}` : '',
      container: chunk.containerId ? `,"container":{"id":${q(chunk.containerId)}}` : '',
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
    const tags: string[] = [];
    const decoded: DecodedLine = { position: line.position, text: decode(line.bytes, tags), tags, stream: chunk.stream };
    if (line.part !== undefined) decoded.part = line.part;
    if (chunk.format !== ChunkFormat.framedV1) {
      decoded.bytes = line.bytes.length;
      if (line.cr) decoded.terminator = '\r';
      return decoded;
    }
    const frame = readFrameLeniently(decoded.text);
    if (!frame) {
      tags.push(LineTag.badFrame);
      return decoded;
    }
    decoded.text = typeof frame.payload === 'string' ? frame.payload : decode(frame.payload, tags);
    if (frame.time) decoded.captured = frame.time;
    if (frame.stream) decoded.stream = frame.stream;
    if (frame.line !== undefined) decoded.lineNumber = frame.line;
    if (frame.terminator !== undefined) decoded.terminator = frame.terminator;
    if (frame.mark) decoded.mark = frame.mark;
    return decoded;
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
    const tags = o.tags.length > 0 ? [...o.tags] : [];
    if (anchor.part !== undefined) tags.push(LineTag.split);
    if (this.#constantTag) tags.push(this.#constantTag);
    const fallback = anchor.captured ?? chunk.chunkTime;
    const contentTime = content.captured ?? fallback;
    const timestamp = plausible(parsed.timestamp, contentTime) ?? contentTime;
    const originalTimestamp = parsed.badTimestamp ?? (parsed.timestamp && timestamp !== parsed.timestamp ? parsed.timestamp.iso : undefined);
    if (originalTimestamp !== undefined) tags.push(LineTag.badTimestamp);

    const q = JSON.stringify;
    let json = `{"@timestamp":"${timestamp.iso}","message":${q(o.message ?? parsed.message)}`;
    if (parsed.level !== undefined || parsed.logger !== undefined) {
      json += `,"log":{${[parsed.level !== undefined ? `"level":${q(parsed.level)}` : '', parsed.logger !== undefined ? `"logger":${q(parsed.logger)}` : '']
        .filter(Boolean)
        .join(',')}}`;
    }
    // A line with its own trace is a different span of that trace: the chunk's span is not its span.
    json += parsed.traceId ? `,"trace":{"id":"${parsed.traceId}"}` : defaults.trace;
    json += parsed.spanId ? `,"span":{"id":"${parsed.spanId}"}` : parsed.traceId ? '' : defaults.span;
    json += parsed.service !== undefined ? `,"service":{"name":${q(parsed.service)}}` : defaults.service;
    json += parsed.host !== undefined ? `,"host":{"name":${q(parsed.host)}}` : defaults.host;
    json += parsed.containerId !== undefined ? `,"container":{"id":${q(parsed.containerId)}}` : defaults.container;
    if (parsed.error) json += `,"error":${q(parsed.error)}`;
    json += `${this.eventPrefix}${chunk.seq * SEQUENCE_STRIDE + anchor.position}}${this.constantFields}`;
    if (tags.length > 0) json += `,"tags":${q(tags)}`;
    json += `${this.joblogsPrefix},"stream":${q(anchor.stream)}`;
    if (anchor.part !== undefined) json += `,"part":${anchor.part}`;
    if (anchor.lineNumber !== undefined) json += `,"line":${anchor.lineNumber}`;
    json += `,"captured":${fallback.ms}`;
    if (content.terminator !== undefined && content.terminator !== '\n') json += `,"end":${q(content.terminator)}`;
    json += o.extra;
    this.#progress.see(anchor.lineNumber, fallback.ms);
    if (originalTimestamp !== undefined) json += `,"original_timestamp":${q(originalTimestamp)}`;
    json += '}';
    if (parsed.fields) json += `,"json":${q(parsed.fields)}`;
    return { id: documentId(chunk.idPrefix, anchor.position), json: `${json}}` };
  }
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
  /** The text's printed size in bytes, when known without measuring (`lines` chunks). */
  bytes?: number;
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
  return written && { id: written.id, document: JSON.parse(written.json) as EcsDocument };
}

function decode(bytes: Buffer, tags: string[]): string {
  let text = bytes.toString('utf8');
  // U+FFFD in the output means either invalid input or a literal U+FFFD: only isUtf8 can tell.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) tags.push(LineTag.invalidUtf8);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

function plausible(ts: Timestamp | undefined, reference: Timestamp): Timestamp | undefined {
  if (!ts) return undefined;
  return ts.ms - reference.ms > MAX_FUTURE_SKEW_MS ? undefined : ts;
}
