import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InvalidParameterError } from '../errors.js';

/**
 * Where a line is in one of the two orders of a job's lines (docs/logs-api.md):
 * - `source` order — one source's lines as printed: sort key `[event.sequence]`;
 * - `merged` order — every source, by capture time, ties by source name, then as printed:
 *   sort key `[joblogs.captured, joblogs.source, event.sequence]` (the download file's order).
 * A cursor is that sort key, with the order it belongs to, as an opaque base64url string.
 *
 * The `next` of a running job's page in merged order also says, per source, how far that source
 * was seen (`seen`): its lines are indexed chunk by chunk in any order across sources, so a chunk
 * of one source can become searchable after lines of another source printed later were returned.
 * A line is seen when its sort key is at most `key` **and** its `event.sequence` at most its
 * source's `seen` (a source not listed: nothing of it seen). What follows such a cursor is every
 * line not seen — the late ones first, in merged order (docs/logs-api.md, "Late lines in the merged
 * order").
 */
export type LineOrder = 'source' | 'merged';
export type SortKey = [number] | [number, string, number];

export interface Cursor {
  order: LineOrder;
  key: SortKey;
  /** Merged order only: per source, the last `event.sequence` seen up to `key` (above). */
  seen?: SeenBySource | undefined;
}

export type SeenBySource = Readonly<Record<string, number>>;

const MAX_CURSOR_LENGTH = 512;
/** A cursor that lists its sources (deflated): within the API's 4 KiB request path with the rest of a request. */
const MAX_SEEN_CURSOR_LENGTH = 3072;
const SEEN_PREFIX = 'v.';
const MAX_SEEN_JSON_BYTES = 256 * 1024;
const MAX_SOURCE_LENGTH = 64;
/** Sources a cursor may list: each is a clause of the next page's query, well within a cluster's clause limit (OpenSearch: 1 024). */
const MAX_SEEN_SOURCES = 512;

/**
 * The cursor as a string. One with `seen` that does not fit {@link MAX_SEEN_CURSOR_LENGTH} or lists
 * more than {@link MAX_SEEN_SOURCES} (a job with hundreds of sources) is given out as its key
 * alone: a tail from it can miss a chunk indexed late (docs/logs-api.md, "Late lines in the merged
 * order").
 */
export function encodeCursor(cursor: Cursor): string {
  if (cursor.seen !== undefined && Object.keys(cursor.seen).length <= MAX_SEEN_SOURCES) {
    const text = SEEN_PREFIX + deflateRawSync(Buffer.from(JSON.stringify([...cursor.key, cursor.seen]), 'utf8')).toString('base64url');
    if (text.length <= MAX_SEEN_CURSOR_LENGTH) return text;
  }
  return Buffer.from(JSON.stringify([cursor.order === 'source' ? 's' : 'm', ...cursor.key]), 'utf8').toString('base64url');
}

/** Two sort keys of one order, compared as the cluster sorts them. */
export function compareKeys(a: SortKey, b: SortKey): number {
  if (a.length === 1 || b.length === 1) return (a[0] as number) - (b[0] as number);
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] - b[2];
}

/**
 * Reads a cursor a client sent back; anything that is not exactly what {@link encodeCursor} makes
 * is a 400 (never a query). A cursor only names a position: the job it is used with is always the
 * one in the path, so a forged cursor can at most move within the caller's own job.
 */
export function decodeCursor(text: string, name: string): Cursor {
  const bad = (): never => {
    throw new InvalidParameterError(`${name} is not a cursor this API gave out`);
  };
  if (text.startsWith(SEEN_PREFIX)) return decodeSeenCursor(text, bad);
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(value)) return bad();
  const [tag, ...key] = value as unknown[];
  if (tag === 's' && key.length === 1 && isSeq(key[0])) return { order: 'source', key: [key[0]] };
  if (tag === 'm' && isMergedKey(key)) return { order: 'merged', key };
  return bad();
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isMergedKey = (key: unknown[]): key is [number, string, number] =>
  key.length === 3 && isSeq(key[0]) && typeof key[1] === 'string' && key[1].length <= MAX_SOURCE_LENGTH && isSeq(key[2]);

function decodeSeenCursor(text: string, bad: () => never): Cursor {
  const body = text.slice(SEEN_PREFIX.length);
  if (text.length > MAX_SEEN_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(body)) bad();
  let value: unknown;
  try {
    value = JSON.parse(inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_SEEN_JSON_BYTES }).toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(value) || value.length !== 4) return bad();
  const key = value.slice(0, 3);
  const seen = value[3] as unknown;
  if (!isMergedKey(key) || typeof seen !== 'object' || seen === null || Array.isArray(seen)) return bad();
  const entries = Object.entries(seen);
  if (entries.length > MAX_SEEN_SOURCES) return bad();
  if (!entries.every(([source, seq]) => source.length > 0 && source.length <= MAX_SOURCE_LENGTH && isSeq(seq))) return bad();
  return { order: 'merged', key, seen: Object.fromEntries(entries) as SeenBySource };
}
