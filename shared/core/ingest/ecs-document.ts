import { isUtf8 } from 'node:buffer';
import type { ChunkContext } from './chunk-context.js';
import { documentId } from './chunk-context.js';
import { ChunkFormat, SEQUENCE_STRIDE } from '../contract/constants.js';
import { LineTag } from './constants.js';
import type { RawLine } from './line-splitter.js';
import { readFrameLeniently } from '../contract/frame.js';
import { parseLogLine } from './parse-line.js';
import { parseTimestamp, type Timestamp } from '../contract/timestamps.js';

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
    producer?: string;
    original_timestamp?: string;
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
  private readonly eventPrefix: string;
  private readonly constantFields: string;
  private readonly joblogsPrefix: string;
  private readonly defaults: { trace: string; span: string; service: string; host: string; container: string };

  constructor(private readonly chunk: ChunkContext) {
    const q = JSON.stringify;
    this.eventPrefix = `,"event":{"dataset":${q(chunk.dataset)},"sequence":`;
    this.constantFields =
      `,"data_stream":{"type":"logs","dataset":${q(chunk.dataset)},"namespace":${q(chunk.stage)}}` +
      `,"labels":{"job_id":${q(chunk.jobId)}}`;
    this.joblogsPrefix =
      `,"joblogs":{"source":${q(chunk.source)},"chunk_seq":${chunk.seq}` +
      (chunk.producer ? `,"producer":${q(chunk.producer)}` : '');
    this.defaults = {
      trace: chunk.trace ? `,"trace":{"id":"${chunk.trace.traceId}"}` : '',
      span: chunk.trace?.spanId ? `,"span":{"id":"${chunk.trace.spanId}"}` : '',
      service: chunk.service ? `,"service":{"name":${q(chunk.service)}}` : '',
      host: chunk.host ? `,"host":{"name":${q(chunk.host)}}` : '',
      container: chunk.containerId ? `,"container":{"id":${q(chunk.containerId)}}` : '',
    };
  }

  /** The serialised document of one raw line, or undefined for a line with no content. */
  write(line: RawLine): SerializedLine | undefined {
    const { chunk, defaults } = this;
    const tags: string[] = [];
    let text = decode(line.bytes, tags);
    let captured: Timestamp | undefined;
    let stream = chunk.stream;
    let lineNumber: number | undefined;

    if (chunk.format === ChunkFormat.framedV1) {
      const frame = readFrameLeniently(text);
      if (!frame) tags.push(LineTag.badFrame);
      else {
        text = typeof frame.payload === 'string' ? frame.payload : decode(frame.payload, tags);
        captured = frame.time;
        stream = frame.stream ?? stream;
        lineNumber = frame.line;
      }
    }
    if (text.trim() === '') return undefined;

    const parsed = parseLogLine(text);
    if (line.part !== undefined) tags.push(LineTag.split);
    const fallback = captured ?? chunk.chunkTime;
    const timestamp = plausible(parsed.timestamp, fallback) ?? fallback;
    const originalTimestamp =
      parsed.badTimestamp ?? (parsed.timestamp && timestamp !== parsed.timestamp ? parsed.timestamp.iso : undefined);
    if (originalTimestamp !== undefined) tags.push(LineTag.badTimestamp);

    const q = JSON.stringify;
    let json = `{"@timestamp":"${timestamp.iso}","message":${q(parsed.message)}`;
    if (parsed.level !== undefined || parsed.logger !== undefined) {
      json += `,"log":{${[
        parsed.level !== undefined ? `"level":${q(parsed.level)}` : '',
        parsed.logger !== undefined ? `"logger":${q(parsed.logger)}` : '',
      ]
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
    json += `${this.eventPrefix}${chunk.seq * SEQUENCE_STRIDE + line.position}}${this.constantFields}`;
    if (tags.length > 0) json += `,"tags":${q(tags)}`;
    json += `${this.joblogsPrefix},"stream":${q(stream)}`;
    if (line.part !== undefined) json += `,"part":${line.part}`;
    if (lineNumber !== undefined) json += `,"line":${lineNumber}`;
    if (originalTimestamp !== undefined) json += `,"original_timestamp":${q(originalTimestamp)}`;
    json += '}';
    if (parsed.fields) json += `,"json":${q(parsed.fields)}`;
    return { id: documentId(chunk.idPrefix, line.position), json: `${json}}` };
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
