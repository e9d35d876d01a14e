/**
 * Cursors of the reference server: a position in the job's printed order, bound to the job and
 * the filters it came from, and signed, so a changed or forged cursor is a 400.
 */
import { createHmac, randomBytes } from 'node:crypto';

const SECRET = randomBytes(16);

/** `start` and `end` stand for "before the first line" and "after the last". */
export type CursorPosition = number | 'start' | 'end';

function sign(jobId: string, body: string): string {
  return createHmac('sha256', SECRET).update(`${jobId}\n${body}`).digest('base64url').slice(0, 16);
}

export function encodeCursor(jobId: string, filterKey: string, position: number): string {
  const body = `${position.toString(36)}~${Buffer.from(filterKey).toString('base64url')}`;
  return `${body}.${sign(jobId, body)}`;
}

function decode(jobId: string, cursor: string): { position: number; filterKey: string } | null {
  const [body, signature] = cursor.split('.');
  if (!body || !signature || sign(jobId, body) !== signature) return null;
  const [position36, key64] = body.split('~');
  const position = parseInt(position36 ?? '', 36);
  if (!Number.isSafeInteger(position) || position < 0) return null;
  return { position, filterKey: Buffer.from(key64 ?? '', 'base64url').toString() };
}

/** The position a cursor names, or `null` when it is not one this job and filter gave out. */
export function decodeCursor(jobId: string, filterKey: string, cursor: string): CursorPosition | null {
  if (cursor === 'start' || cursor === 'end') return cursor;
  const decoded = decode(jobId, cursor);
  return decoded && decoded.filterKey === filterKey ? decoded.position : null;
}

/** The line a cursor names, from whichever filtered view it came (for `/redraws`). */
export function decodeLineCursor(jobId: string, cursor: string): number | null {
  return decode(jobId, cursor)?.position ?? null;
}
