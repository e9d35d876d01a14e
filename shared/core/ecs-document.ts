import { isUtf8 } from 'node:buffer';
import type { ChunkContext } from './chunk-context.js';
import { documentId } from './chunk-context.js';
import { ChunkFormat, LineTag, SEQUENCE_STRIDE } from './constants.js';
import type { RawLine } from './line-splitter.js';
import { parseLogLine, type ParsedLine } from './parse-line.js';
import { parseTimestamp, type Timestamp } from './timestamps.js';

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
    chunk: string;
    chunk_seq: number;
    position: number;
    part?: number;
    line?: number;
    producer?: string;
    owner?: string;
    team?: string;
    original_timestamp?: string;
  };
  json?: Record<string, unknown>;
}

export interface IndexableLine {
  id: string;
  document: EcsDocument;
}

/** Lines dated more than this after their chunk are implausible: the chunk's time is used instead. */
const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/**
 * Maps one raw line of a chunk to its document, or undefined for a line with no content.
 * Pure: the same (line, chunk) always gives the same id and document.
 */
export function toEcsDocument(line: RawLine, chunk: ChunkContext): IndexableLine | undefined {
  const tags: string[] = [];
  let text = decode(line.bytes, tags);
  let captured: Timestamp | undefined;
  let stream = chunk.stream;
  let lineNumber: number | undefined;

  if (chunk.format === ChunkFormat.framedV1) {
    const frame = parseFrame(text, tags);
    if (frame) {
      text = frame.text;
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

  const document: EcsDocument = {
    '@timestamp': timestamp.iso,
    message: parsed.message,
    ...logField(parsed),
    ...idField('trace', parsed.traceId ?? chunk.trace?.traceId),
    ...idField('span', parsed.spanId ?? (parsed.traceId ? undefined : chunk.trace?.spanId)),
    ...nameField('service', parsed.service ?? chunk.service),
    ...nameField('host', parsed.host ?? chunk.host),
    ...(parsed.containerId ?? chunk.containerId ? { container: { id: (parsed.containerId ?? chunk.containerId)! } } : {}),
    ...(parsed.error ? { error: parsed.error } : {}),
    event: { dataset: chunk.dataset, sequence: chunk.seq * SEQUENCE_STRIDE + line.position },
    data_stream: { type: 'logs', dataset: chunk.dataset, namespace: chunk.stage },
    labels: { job_id: chunk.jobId },
    ...(tags.length > 0 ? { tags } : {}),
    joblogs: {
      source: chunk.source,
      stream,
      chunk: chunk.key,
      chunk_seq: chunk.seq,
      position: line.position,
      ...(line.part !== undefined ? { part: line.part } : {}),
      ...(lineNumber !== undefined ? { line: lineNumber } : {}),
      ...(chunk.producer ? { producer: chunk.producer } : {}),
      ...(chunk.owner ? { owner: chunk.owner } : {}),
      ...(chunk.team ? { team: chunk.team } : {}),
      ...(originalTimestamp !== undefined ? { original_timestamp: originalTimestamp } : {}),
    },
    ...(parsed.fields ? { json: parsed.fields } : {}),
  };
  return { id: documentId(chunk.idPrefix, line.position), document };
}

function decode(bytes: Buffer, tags: string[]): string {
  let text = bytes.toString('utf8');
  // U+FFFD in the output means either invalid input or a literal U+FFFD: only isUtf8 can tell.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) tags.push(LineTag.invalidUtf8);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

interface Frame {
  text: string;
  time?: Timestamp;
  stream?: string;
  line?: number;
}

/** `framed-v1`: {"t": capture time, "s": stream, "n": line number, "m": text | "b": base64 bytes}. */
function parseFrame(text: string, tags: string[]): Frame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    tags.push(LineTag.badFrame);
    return undefined;
  }
  if (value === null || typeof value !== 'object') {
    tags.push(LineTag.badFrame);
    return undefined;
  }
  const f = value as Record<string, unknown>;
  let payload: string | undefined;
  if (typeof f['m'] === 'string') payload = f['m'];
  else if (typeof f['b'] === 'string') payload = decode(Buffer.from(f['b'], 'base64'), tags);
  if (payload === undefined) {
    tags.push(LineTag.badFrame);
    return undefined;
  }
  const frame: Frame = { text: payload };
  const time = parseTimestamp(f['t']);
  if (time) frame.time = time;
  if (f['s'] === 'stdout' || f['s'] === 'stderr') frame.stream = f['s'];
  if (typeof f['n'] === 'number' && Number.isSafeInteger(f['n'])) frame.line = f['n'];
  return frame;
}

function plausible(ts: Timestamp | undefined, reference: Timestamp): Timestamp | undefined {
  if (!ts) return undefined;
  return ts.ms - reference.ms > MAX_FUTURE_SKEW_MS ? undefined : ts;
}

function logField(parsed: ParsedLine): Pick<EcsDocument, 'log'> {
  if (!parsed.level && !parsed.logger) return {};
  return { log: { ...(parsed.level ? { level: parsed.level } : {}), ...(parsed.logger ? { logger: parsed.logger } : {}) } };
}

function idField<K extends 'trace' | 'span'>(key: K, id: string | undefined): { [P in K]?: { id: string } } {
  return (id ? { [key]: { id } } : {}) as { [P in K]?: { id: string } };
}

function nameField<K extends 'service' | 'host'>(key: K, name: string | undefined): { [P in K]?: { name: string } } {
  return (name ? { [key]: { name } } : {}) as { [P in K]?: { name: string } };
}
