import { InvalidParameterError } from '../errors.js';

/**
 * Where a line is in one of the two orders of a job's lines (docs/logs-api.md):
 * - `source` order — one source's lines as printed: sort key `[event.sequence]`;
 * - `merged` order — every source, by capture time, ties by source name, then as printed:
 *   sort key `[joblogs.captured, joblogs.source, event.sequence]` (the download file's order).
 * A cursor is that sort key, with the order it belongs to, as an opaque base64url string.
 */
export type LineOrder = 'source' | 'merged';
export type SortKey = [number] | [number, string, number];

export interface Cursor {
  order: LineOrder;
  key: SortKey;
}

const MAX_CURSOR_LENGTH = 512;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.order === 'source' ? 's' : 'm', ...cursor.key]), 'utf8').toString('base64url');
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
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(value)) return bad();
  const [tag, ...key] = value as unknown[];
  const seq = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (tag === 's' && key.length === 1 && seq(key[0])) return { order: 'source', key: [key[0] as number] };
  if (tag === 'm' && key.length === 3 && seq(key[0]) && typeof key[1] === 'string' && key[1].length <= 64 && seq(key[2])) {
    return { order: 'merged', key: [key[0] as number, key[1], key[2] as number] };
  }
  return bad();
}
