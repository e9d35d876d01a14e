import { SEQUENCE_STRIDE } from '../contract/constants.js';
import { encodeCursor, type Cursor, type LineOrder, type SortKey } from './cursor.js';
import type { LineFilters, LinesAnchor } from './params.js';
import { isSeenCursor, unseenFilter } from './tail.js';
import { HIGHLIGHT_POST, HIGHLIGHT_PRE, searchClauses, type SearchTerms } from './search-terms.js';
import { printedText } from './printed-text.js';

/** The data streams of a stage's lines, and of its chunk records. */
export const linesIndex = (stage: string) => `logs-mlplatform.*-${stage}`;
export { chunkRecordStream as chunksIndex } from '../ingest/chunk-record.js';

/** Per source, the last chunk whose lines (and every earlier chunk's) are all searchable. */
export type Frontier = ReadonlyMap<string, number>;

/** Which lines of which job a query may return. */
export interface LineScope {
  jobId: string;
  filters: LineFilters;
  /** Set while the job runs: lines of chunks past a source's frontier are not returned yet. */
  frontier?: Frontier | undefined;
}

/** Sort keys of each order, with the type a backing index that lacks the field sorts it as. */
const SORT_FIELDS: Record<LineOrder, Array<[field: string, unmappedType: string]>> = {
  source: [['event.sequence', 'long']],
  merged: [
    ['joblogs.captured', 'date'],
    ['joblogs.source', 'keyword'],
    ['event.sequence', 'long'],
  ],
};

/**
 * The sort of an order. Every key names its `unmapped_type`: a stage's older backing indices may
 * predate a field (one written before the logs API existed has no `joblogs.captured`), and a sort
 * on a field some index lacks otherwise fails the whole search with a 400.
 */
export function sortFor(order: LineOrder, direction: 'asc' | 'desc' = 'asc'): object[] {
  return SORT_FIELDS[order].map(([field, unmappedType]) => ({ [field]: { order: direction, unmapped_type: unmappedType } }));
}

/** The fields a line is built from. */
const LINE_FIELDS = [
  '@timestamp',
  'message',
  'log.level',
  'tags',
  'event.sequence',
  'joblogs.source',
  'joblogs.stream',
  'joblogs.line',
  'joblogs.part',
  'joblogs.end',
  'joblogs.captured',
  'joblogs.span',
  'joblogs.colours',
  'joblogs.last_line',
  'joblogs.lines',
  'joblogs.redraws',
];

export function scopeFilters(scope: LineScope): object[] {
  const f: object[] = [{ term: { 'labels.job_id': scope.jobId } }];
  const { sources, streams, levels } = scope.filters;
  if (sources) f.push({ terms: { 'joblogs.source': sources } });
  if (streams) f.push({ terms: { 'joblogs.stream': streams } });
  if (levels) f.push(levelFilter(levels));
  if (scope.frontier) {
    const should = [...scope.frontier].map(([source, seq]) => ({
      bool: { filter: [{ term: { 'joblogs.source': source } }, { range: { 'joblogs.chunk_seq': { lte: seq } } }] },
    }));
    f.push(should.length > 0 ? { bool: { should, minimum_should_match: 1 } } : { bool: { must_not: { match_all: {} } } });
  }
  return f;
}

/** `none` stands for lines without a level (plain output), beside named levels. */
function levelFilter(levels: readonly string[]): object {
  const named = levels.filter((l) => l !== 'none');
  const unlevelled = { bool: { must_not: { exists: { field: 'log.level' } } } };
  if (named.length === levels.length) return { terms: { 'log.level': named } };
  if (named.length === 0) return unlevelled;
  return { bool: { should: [{ terms: { 'log.level': named } }, unlevelled], minimum_should_match: 1 } };
}

/** The order of a request: one source's own order when exactly one source is asked for, else the merged one. */
export function orderOf(filters: LineFilters): LineOrder {
  return filters.sources?.length === 1 ? 'source' : 'merged';
}

export interface LinesSearch {
  body: Record<string, unknown>;
  /** The answer comes newest first and is to be reversed (`before`). */
  reversed: boolean;
}

/**
 * A page of lines around an anchor: `size` is one more than wanted, to tell whether more follow.
 * `windowFrom` leaves out lines whose first sort key (the merged order's capture time, a source's
 * sequence number) is below it: a backward page's window ({@link backwardWindows}).
 */
export function linesSearch(scope: LineScope, anchor: LinesAnchor, o: { order: LineOrder; size: number; windowFrom?: number | undefined }): LinesSearch {
  const filter = scopeFilters(scope);
  if (o.windowFrom !== undefined) filter.push({ range: { [SORT_FIELDS[o.order][0]![0]]: { gte: o.windowFrom } } });
  const reversed = anchor.kind === 'before';
  const sort = sortFor(o.order, reversed ? 'desc' : 'asc');
  let searchAfter: SortKey | undefined;
  // After a cursor that lists what it saw per source: every line it did not see, late ones first.
  if (anchor.kind === 'after' && isSeenCursor(anchor.cursor)) filter.push(unseenFilter(anchor.cursor));
  else if ((anchor.kind === 'after' || anchor.kind === 'before') && typeof anchor.cursor === 'object') searchAfter = anchor.cursor.key;
  // An event or a collapsed bar that starts before the line asked for and reaches it is on the page.
  if (anchor.kind === 'from')
    filter.push({
      bool: {
        should: [{ range: { 'joblogs.line': { gte: anchor.line } } }, { range: { 'joblogs.last_line': { gte: anchor.line } } }],
        minimum_should_match: 1,
      },
    });
  if (anchor.kind === 'at') filter.push({ range: { 'joblogs.captured': { gte: anchor.time } } });
  const body: Record<string, unknown> = { size: o.size, track_total_hits: false, query: { bool: { filter } }, sort, _source: LINE_FIELDS };
  if (searchAfter) body['search_after'] = searchAfter;
  return { body, reversed };
}

/** How many lines a backward page's first window is sized to hold, per line asked for. */
const WINDOW_LINES_PER_LINE = 4;
/** Each window after the first reaches this many times as far back. */
const WINDOW_GROWTH = 16;
const WINDOWS = 3;
const MIN_WINDOW_MS = 1_000;

/**
 * Where the windows of a page read backwards in the merged order start (`windowFrom`, epoch ms),
 * narrowest first; after the last one, the search is unbounded. The lines lie on disk by job and
 * then in printed order (docs/search-storage.md, "Sorted on disk"), so a search newest-first pushes
 * every line before its anchor through its top-k queue; within a window only the lines captured
 * since the window's start. A window's answer is the page itself as soon as it holds one line more
 * than asked for: every line before the window was captured earlier, so sorts after all of them.
 * A window that holds fewer says nothing, and the next, wider one is asked. The first is sized
 * from the job's density (its lines over the time between its first and last capture) to hold a
 * few pages; a window reaching back before the first capture is no window.
 *
 * @param until the newest capture the page can hold: its cursor's, or for `end` the job's last
 * @param first the job's first capture, `last` its last, `lines` how many it has (the sources asked for)
 */
export function backwardWindows(o: { until: number | undefined; first: number | undefined; last: number | undefined; lines: number; size: number }): number[] {
  if (o.until === undefined || o.first === undefined || o.last === undefined || o.lines <= 0 || o.until <= o.first) return [];
  const msPerLine = Math.max(0, o.last - o.first) / o.lines;
  return windowStarts(o.until, o.first, Math.max(MIN_WINDOW_MS, WINDOW_LINES_PER_LINE * o.size * msPerLine)).map(Math.floor);
}

/** `until − width`, then WINDOW_GROWTH times as wide, up to WINDOWS of them, while above `floor` (a window reaching it is the whole job). */
function windowStarts(until: number, floor: number, width: number): number[] {
  const starts: number[] = [];
  for (let i = 0, w = width; i < WINDOWS && until - w > floor; i++, w *= WINDOW_GROWTH) starts.push(until - w);
  return starts;
}

/**
 * The windows of a page read backwards in one source's own order, as lower bounds of
 * `event.sequence` (chunk × SEQUENCE_STRIDE + position): the same rule as {@link backwardWindows},
 * in whole chunks back from the anchor's — enough of them for ~4 pages at the source's lines per
 * chunk, then 16 times as many, then the whole source.
 *
 * @param untilChunk the anchor's chunk: its cursor's, or for `end` the source's last
 * @param chunks the source's chunks recorded, `lines` its lines
 */
export function backwardSequenceWindows(o: { untilChunk: number | undefined; chunks: number; lines: number; size: number }): number[] {
  if (o.untilChunk === undefined || o.chunks <= 0 || o.lines <= 0) return [];
  const back = Math.max(1, Math.ceil((WINDOW_LINES_PER_LINE * o.size * o.chunks) / o.lines));
  return windowStarts(o.untilChunk, 0, back).map((chunk) => chunk * SEQUENCE_STRIDE);
}

/** Is there any line before a sort key (or before a line number / time)? One document at most is looked at. */
export function anyBefore(scope: LineScope, anchor: LinesAnchor): Record<string, unknown> | undefined {
  const filter = scopeFilters(scope);
  if (anchor.kind === 'from') filter.push({ range: { 'joblogs.line': { lt: anchor.line } } });
  else if (anchor.kind === 'at') filter.push({ range: { 'joblogs.captured': { lt: anchor.time } } });
  else return undefined;
  return { size: 0, track_total_hits: 1, terminate_after: 1, query: { bool: { filter } } };
}

/** Matches of a search in printed (merged or source) order, each highlighted whole. */
export function searchBody(scope: LineScope, terms: SearchTerms, o: { order: LineOrder; size: number; after: Cursor | undefined }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    size: o.size,
    track_total_hits: 10_000,
    query: { bool: { filter: scopeFilters(scope), must: searchClauses(terms) } },
    sort: sortFor(o.order),
    _source: LINE_FIELDS,
    highlight: { fields: { message: { number_of_fragments: 0, pre_tags: [HIGHLIGHT_PRE], post_tags: [HIGHLIGHT_POST] } }, max_analyzed_offset: 1_000_000 },
  };
  if (o.after) body['search_after'] = o.after.key;
  return body;
}

/** One API line (docs/logs-api.md) from a hit of {@link linesSearch} or {@link searchBody}. */
export interface ApiLine {
  cursor: string;
  source: string;
  line: number | null;
  seq: number;
  part?: number;
  time: string;
  /** RFC 3339 capture time (`joblogs.captured`): the merged order's first key, so a client can place lines that came late. */
  captured: string;
  stream: string;
  level: string | null;
  text: string;
  end: string;
  tags: string[];
  /** Lines an event or a collapsed progress bar stands for, from `line` (absent: 1). */
  span?: number;
  /** The line numbers of an event when they are not `line, line + 1, …` (another stream printed between them). */
  lines?: number[];
  /** Earlier states of a progress bar behind this line (`GET /jobs/{jobId}/redraws`). */
  redraws?: number;
}

export interface Hit {
  // biome-ignore lint/suspicious/noExplicitAny: a hit's _source, read field by field
  _source?: Record<string, any>;
  sort?: unknown[];
  highlight?: Record<string, string[]>;
}

/** A hit's place in an order: what its cursor encodes, and what `search_after` continues from. */
export function lineKey(hit: Hit, order: LineOrder): SortKey {
  const s = hit._source ?? {};
  const j = s['joblogs'] ?? {};
  const seq = Number(s['event']?.['sequence'] ?? 0);
  return order === 'source' ? [seq] : [Number(j['captured'] ?? 0), String(j['source'] ?? ''), seq];
}

/** The largest |epoch ms| a Date holds (ECMA-262, 21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** Epoch ms as RFC 3339 (the epoch for what is not a time Date can hold). */
function isoOfEpochMs(ms: number): string {
  return new Date(Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : 0).toISOString();
}

export function toApiLine(hit: Hit, order: LineOrder): ApiLine {
  const s = hit._source ?? {};
  const j = s['joblogs'] ?? {};
  const seq = Number(s['event']?.['sequence'] ?? 0);
  const line: ApiLine = {
    cursor: encodeCursor({ order, key: lineKey(hit, order) }),
    source: String(j['source'] ?? ''),
    line: typeof j['line'] === 'number' ? j['line'] : null,
    seq,
    time: String(s['@timestamp'] ?? ''),
    captured: isoOfEpochMs(Number(j['captured'] ?? 0)),
    stream: String(j['stream'] ?? 'stdout'),
    level: typeof s['log']?.['level'] === 'string' ? s['log']['level'] : null,
    text: printedText(s),
    end: typeof j['end'] === 'string' ? j['end'] : '\n',
    tags: Array.isArray(s['tags']) ? s['tags'] : [],
  };
  if (typeof j['part'] === 'number') line.part = j['part'];
  if (typeof j['span'] === 'number' && j['span'] > 1) {
    // `span` counts from `line` to the last line it stands for (a bar's states may have other lines between them).
    line.span = typeof j['last_line'] === 'number' && typeof j['line'] === 'number' ? j['last_line'] - j['line'] + 1 : j['span'];
    if (Array.isArray(j['lines'])) line.lines = j['lines'].filter((n: unknown): n is number => typeof n === 'number');
  }
  if (typeof j['redraws'] === 'number' && j['redraws'] > 0) line.redraws = j['redraws'];
  return line;
}
