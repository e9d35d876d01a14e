import { createHash } from 'node:crypto';
import { parseChunkKey, type ChunkKey } from '../contract/chunk-key.js';
import { ChunkFormat, DEFAULT_SOURCE_STREAM, EventMetadata, EVENTS_MARKED } from '../contract/constants.js';
import { ChunkMetadataError } from '../errors.js';
import { parseTimestamp, timestampFromMillis, type Timestamp } from '../contract/timestamps.js';
import { parseTraceparent, normalizeTraceId, type TraceIds } from '../contract/trace-context.js';
import { LANE_KEY, rulesFromMetadata, type UserRules } from '../multiline/index.js';

/** Everything known about a chunk before its first line is read: key, metadata, target stream. */
export interface ChunkContext extends ChunkKey {
  bucket: string;
  key: string;
  stage: string;
  dataset: string;
  /** Data stream `logs-<dataset>-<stage>`. */
  dataStream: string;
  format: ChunkFormat;
  stream: string;
  chunkTime: Timestamp;
  trace?: TraceIds;
  service?: string;
  producer?: string;
  host?: string;
  containerId?: string;
  /** Set on a source's last chunk (`final: true`): how the source ended. */
  final?: { lineCount?: number; exitCode?: number; signal?: string };
  /** Prefix of every document id of this chunk: stable for (bucket, key). */
  idPrefix: string;
  /** How the chunk's lines are grouped into events (docs/chunk-contract.md, "Events and progress bars"). */
  multiline: ChunkMultiline;
  /** Documents carry their user JSON's leaves as `joblogs.json_kv` terms too (the cluster has no `flattened`: docs/search-storage.md). */
  jsonTerms: boolean;
}

export interface ChunkMultiline {
  /** The frames carry the shipper's event marks (`events: marked`): the indexer follows them instead of recognising. */
  marked: boolean;
  /** Lanes whose event is still open at the end of this chunk and continues in the next one (`open-events`; none on a final chunk). */
  openLanes: string[];
  /** The job's own patterns (`multiline-start`, `multiline-continue`), vetted. */
  rules?: UserRules;
  /** Why the job's patterns were refused (the chunk is grouped by the built-in recognisers only). */
  refused?: string;
}

export interface ChunkSource {
  bucket: string;
  key: string;
  /** S3 user metadata, keys without `x-amz-meta-` (the SDK lowercases them). */
  metadata: Record<string, string | undefined>;
  /** When S3 says the object was created (event time); the fallback time of lines. */
  eventTime: string | undefined;
}

export interface ChunkDefaults {
  stage: string;
  defaultDataset: string;
  chunkPrefix: string;
  now: () => number;
  /** How the stage's cluster searches user JSON (`userJsonOf(kind)`); `flattened` when not given. */
  userJson?: 'flattened' | 'terms';
}

const DATASET = /^mlplatform(\.[a-z0-9_]+){1,3}$/;
const MAX_DATASET_LENGTH = 64;
const SAFE_TEXT = /^[\x20-\x7e]{1,256}$/;

/** Reads a chunk's key and metadata (docs/chunk-contract.md); throws only for what would misroute lines. */
export function describeChunk(source: ChunkSource, defaults: ChunkDefaults): ChunkContext {
  const { jobId, source: src, seq } = parseChunkKey(source.key, defaults.chunkPrefix);
  const meta = source.metadata;
  const dataset = meta['dataset']?.trim() || defaults.defaultDataset;
  // The contract caps a dataset at 64 characters: it names a data stream (255-byte limit with prefix and stage).
  if (dataset.length > MAX_DATASET_LENGTH || !DATASET.test(dataset)) {
    throw new ChunkMetadataError(
      `Chunk metadata "dataset" ${JSON.stringify(dataset)} is invalid: expected "mlplatform.<name>" in lowercase letters, digits and "_", at most ${MAX_DATASET_LENGTH} characters`,
      { details: { key: source.key } },
    );
  }
  const format = meta['format']?.trim() || ChunkFormat.lines;
  if (format !== ChunkFormat.lines && format !== ChunkFormat.framedV1) {
    throw new ChunkMetadataError(`Chunk metadata "format" ${JSON.stringify(format)} is unknown (lines | framed-v1)`, {
      details: { key: source.key },
    });
  }
  const chunkTime = parseTimestamp(meta['chunk-start']) ?? parseTimestamp(source.eventTime) ?? timestampFromMillis(defaults.now());
  const trace = parseTraceparent(meta['traceparent']) ?? (normalizeTraceId(meta['trace-id']) ? { traceId: normalizeTraceId(meta['trace-id'])! } : undefined);
  const stream = meta['stream'] === 'stderr' ? 'stderr' : DEFAULT_SOURCE_STREAM;

  return {
    bucket: source.bucket,
    key: source.key,
    jobId,
    source: src,
    seq,
    stage: defaults.stage,
    dataset,
    dataStream: `logs-${dataset}-${defaults.stage}`,
    format,
    stream,
    chunkTime,
    ...optional('trace', trace),
    ...optional('service', safeText(meta['service'])),
    ...optional('producer', safeText(meta['producer'])),
    ...optional('host', safeText(meta['host'])),
    ...optional('containerId', safeText(meta['container-id'])),
    ...optional('final', finalOf(meta)),
    idPrefix: documentIdPrefix(source.bucket, source.key),
    multiline: chunkMultiline(meta),
    jsonTerms: defaults.userJson === 'terms',
  };
}

/** Event marks and open lanes (framed chunks of our shipper), and per-job patterns: invalid values are ignored, never fatal. */
export function chunkMultiline(meta: Record<string, string | undefined>): ChunkMultiline {
  const marked = meta['format']?.trim() === ChunkFormat.framedV1 && meta[EventMetadata.marks]?.trim() === EVENTS_MARKED;
  const final = meta['final']?.trim() === 'true';
  const listed = marked && !final ? (meta[EventMetadata.openEvents] ?? '').split(',').map((l) => l.trim()) : [];
  const openLanes = [...new Set(listed.filter((l) => LANE_KEY.test(l)))].slice(0, MAX_OPEN_LANES);
  const { rules, refused } = rulesFromMetadata(meta);
  return { marked, openLanes, ...(rules ? { rules } : {}), ...(refused ? { refused } : {}) };
}

/** A chunk lists at most this many open lanes (two streams × a node's ranks). */
const MAX_OPEN_LANES = 64;

/** How a source ended, from its final chunk's metadata (malformed numbers are left out). */
function finalOf(meta: Record<string, string | undefined>): ChunkContext['final'] {
  if (meta['final']?.trim() !== 'true') return undefined;
  const int = (v: string | undefined) => (v !== undefined && /^-?\d{1,12}$/.test(v.trim()) ? Number(v.trim()) : undefined);
  const final: NonNullable<ChunkContext['final']> = {};
  const lineCount = int(meta['line-count']);
  const exitCode = int(meta['exit-code']);
  const signal = safeText(meta['signal']);
  if (lineCount !== undefined && lineCount >= 0) final.lineCount = lineCount;
  if (exitCode !== undefined) final.exitCode = exitCode;
  if (signal !== undefined) final.signal = signal;
  return final;
}

/** base64url(SHA-256(bucket ␀ key)) truncated to 22 chars (132 bits): one hash per chunk, not per line. */
export function documentIdPrefix(bucket: string, key: string): string {
  return createHash('sha256').update(bucket).update('\0').update(key).digest('base64url').slice(0, 22);
}

/** The `_id` of the document at `position` in a chunk: the same line always gets the same id. */
export function documentId(idPrefix: string, position: number): string {
  return `${idPrefix}-${position.toString(36)}`;
}

function safeText(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v && SAFE_TEXT.test(v) ? v : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
