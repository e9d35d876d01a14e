import { isValidSource } from '../contract/chunk-key.js';
import { parseTimestamp } from '../contract/timestamps.js';
import { InvalidParameterError } from '../errors.js';
import { decodeCursor, type Cursor } from './cursor.js';
import { parseSearchTerms, type SearchTerms } from './search-terms.js';

/** Filters every route takes: which sources, streams and levels (each a comma-separated list). */
export interface LineFilters {
  sources?: string[];
  streams?: Array<'stdout' | 'stderr'>;
  levels?: string[];
}

export type LinesAnchor =
  | { kind: 'after'; cursor: Cursor | 'start' }
  | { kind: 'before'; cursor: Cursor | 'end' }
  | { kind: 'around'; cursor: Cursor }
  | { kind: 'from'; line: number }
  | { kind: 'at'; time: number };

export interface LinesRequest {
  anchor: LinesAnchor;
  limit: number;
  filters: LineFilters;
  /** How long to wait for a line after the cursor (the live tail); 0 = answer now. */
  waitMs: number;
}

export interface SearchRequest {
  terms: SearchTerms;
  after: Cursor | undefined;
  limit: number;
  filters: LineFilters;
}

export const LINES_LIMIT = { default: 200, max: 1000 } as const;
export const SEARCH_LIMIT = { default: 100, max: 500 } as const;
export const MAX_WAIT_SECONDS = 20;

const FILTERS = ['source', 'stream', 'level'];

/** The query string of `GET /jobs/{jobId}/lines`; throws {@link InvalidParameterError} naming the bad parameter. */
export function parseLinesRequest(query: string): LinesRequest {
  const params = readParams(query, ['after', 'before', 'around', 'from', 'at', 'limit', 'wait', ...FILTERS]);
  const anchors = ['after', 'before', 'around', 'from', 'at'].filter((name) => params.has(name));
  if (anchors.length > 1) throw new InvalidParameterError(`Use at most one of after, before, around, from and at (got ${anchors.join(', ')})`);
  const anchor = readAnchor(params, anchors[0]);
  const waitSeconds = int(params, 'wait', { min: 0, max: MAX_WAIT_SECONDS, default: 0 });
  if (waitSeconds > 0 && anchor.kind !== 'after') throw new InvalidParameterError('wait goes with after (the live tail)');
  return {
    anchor,
    limit: int(params, 'limit', { min: 1, max: LINES_LIMIT.max, default: LINES_LIMIT.default }),
    filters: readFilters(params),
    waitMs: waitSeconds * 1000,
  };
}

/** The query string of `GET /jobs/{jobId}/search`. */
export function parseSearchRequest(query: string): SearchRequest {
  const params = readParams(query, ['q', 'after', 'limit', ...FILTERS]);
  const q = params.get('q');
  if (q === undefined) throw new InvalidParameterError('q is required: the words or "phrases" to find');
  const after = params.get('after');
  return {
    terms: parseSearchTerms(q),
    after: after === undefined ? undefined : decodeCursor(after, 'after'),
    limit: int(params, 'limit', { min: 1, max: SEARCH_LIMIT.max, default: SEARCH_LIMIT.default }),
    filters: readFilters(params),
  };
}

/** `GET /jobs/{jobId}/redraws`: the cursor of a collapsed bar (and its source, for a cursor of one source's order). */
export interface RedrawsRequest {
  cursor: Cursor;
  source?: string;
}

export function parseRedrawsRequest(query: string): RedrawsRequest {
  const params = readParams(query, ['cursor', 'source']);
  const cursor = params.get('cursor');
  if (cursor === undefined) throw new InvalidParameterError('cursor is required: the cursor of a line with redraws');
  const source = params.get('source');
  if (source !== undefined && !isValidSource(source))
    throw new InvalidParameterError(`source ${JSON.stringify(source.slice(0, 80))} is not a valid source name`);
  return { cursor: decodeCursor(cursor, 'cursor'), ...(source ? { source } : {}) };
}

/** No query parameters: what `GET /jobs/{jobId}` accepts. */
export function parseNoParams(query: string): void {
  readParams(query, []);
}

function readAnchor(params: Map<string, string>, name: string | undefined): LinesAnchor {
  const value = name === undefined ? undefined : params.get(name)!;
  switch (name) {
    case 'before':
      return { kind: 'before', cursor: value === 'end' ? 'end' : decodeCursor(value!, 'before') };
    case 'around':
      return { kind: 'around', cursor: decodeCursor(value!, 'around') };
    case 'from':
      return { kind: 'from', line: int(params, 'from', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 }) };
    case 'at': {
      const time = parseTimestamp(value);
      if (!time || !/^\d{4}-\d\d-\d\dT/.test(value!)) throw new InvalidParameterError('at must be an RFC 3339 time');
      return { kind: 'at', time: time.ms };
    }
    default:
      return { kind: 'after', cursor: value === undefined || value === 'start' ? 'start' : decodeCursor(value, 'after') };
  }
}

function readFilters(params: Map<string, string>): LineFilters {
  const filters: LineFilters = {};
  const sources = list(params, 'source', 64);
  if (sources) {
    for (const s of sources) if (!isValidSource(s)) throw new InvalidParameterError(`source ${JSON.stringify(s.slice(0, 80))} is not a valid source name`);
    filters.sources = sources;
  }
  const streams = list(params, 'stream', 2);
  if (streams) {
    for (const s of streams) if (s !== 'stdout' && s !== 'stderr') throw new InvalidParameterError('stream must be stdout, stderr or both');
    filters.streams = streams as Array<'stdout' | 'stderr'>;
  }
  const levels = list(params, 'level', 16);
  if (levels) {
    for (const l of levels) if (!/^[a-z]{1,16}$/.test(l)) throw new InvalidParameterError(`level ${JSON.stringify(l.slice(0, 80))} is not a level name`);
    filters.levels = levels;
  }
  return filters;
}

function list(params: Map<string, string>, name: string, max: number): string[] | undefined {
  const value = params.get(name);
  if (value === undefined) return undefined;
  const items = [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  if (items.length === 0) throw new InvalidParameterError(`${name} is empty`);
  if (items.length > max) throw new InvalidParameterError(`${name} lists more than ${max} values`);
  return items;
}

function int(params: Map<string, string>, name: string, o: { min: number; max: number; default: number }): number {
  const value = params.get(name);
  if (value === undefined) return o.default;
  if (!/^\d{1,16}$/.test(value) || Number(value) < o.min || Number(value) > o.max) {
    throw new InvalidParameterError(`${name} must be a whole number from ${o.min} to ${o.max}`);
  }
  return Number(value);
}

/** Each known parameter at most once; anything else is refused rather than ignored. */
function readParams(query: string, known: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (!known.includes(name))
      throw new InvalidParameterError(
        `Unknown parameter ${JSON.stringify(name.slice(0, 40))}${known.length ? ` (this route takes ${known.join(', ')})` : ' (this route takes none)'}`,
      );
    if (params.has(name)) throw new InvalidParameterError(`${name} is given twice`);
    params.set(name, value);
  }
  return params;
}
