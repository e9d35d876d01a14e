import {
  anyBefore,
  backwardSequenceWindows,
  backwardWindows,
  encodeCursor,
  isSeen,
  isSeenCursor,
  lineKey,
  linesIndex,
  linesSearch,
  nextMergedCursor,
  orderOf,
  parseLinesRequest,
  toApiLine,
  type ApiLine,
  type Cursor,
  type Frontier,
  type LineOrder,
  type LineScope,
  type LinesAnchor,
  type LinesRequest,
  type SortKey,
  type SourceProgress,
} from '../../shared/core/logs/index.js';
import { SEQUENCE_STRIDE } from '../../shared/core/contract/index.js';
import { InvalidParameterError } from '../../shared/core/errors.js';
import { keyOf, type ArchivePages, type ArchiveRecord, type ScanResult } from '../../shared/core/archive/index.js';
import { archiveOrder, archivePages, memberSeen, withinFrontier } from './archive-source.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob, type JobView } from './job-view.js';
import { mayPrintMore } from '../http/watch-recorder.js';

/** The body of `GET /jobs/{jobId}/lines` (docs/logs-api.md). */
export interface LinesBody {
  jobId: string;
  status: 'running' | 'complete';
  lines: ApiLine[];
  prev: string | null;
  next: string | null;
  hasBefore: boolean;
  hasAfter: boolean;
  /** Answered from the job's archive: its documents have aged out of the cluster (docs/archive.md). */
  archive?: true;
}

/** A page of lines in ascending order (and their sort keys), and whether more lie beyond each end. */
interface Page {
  lines: ApiLine[];
  keys: SortKey[];
  hasBefore: boolean;
  hasAfter: boolean;
}

type FetchAnchor = Exclude<LinesAnchor, { kind: 'around' }>;
type Fetched = { lines: ApiLine[]; keys: Cursor[]; more: boolean };

/** Where a page's lines come from: the cluster, or the job's archive once its documents aged out (docs/archive.md). */
interface LineSource {
  /** Up to `limit` lines from an anchor, and whether more follow. */
  fetch(anchor: FetchAnchor, limit: number): Promise<Fetched>;
  /** Is there any line before a line number / time? */
  anyBefore(anchor: Extract<LinesAnchor, { kind: 'from' | 'at' }>): Promise<boolean>;
}

/** What every read of one request shares. */
interface PageContext {
  scope: LineScope;
  order: LineOrder;
  lines: LineSource;
}

/**
 * A page of a job's lines around an anchor, in printed order. With `wait`, a page that would be
 * empty is asked for again every `TAIL_POLL_MS` until a line after the cursor is searchable (up to
 * the frontier of fully indexed chunks) or the wait is over: the live tail. A tail of a running
 * job records that the job is watched (the viewer's follow mode), so its shippers flush often.
 */
export async function getLines(access: FoundJob, query: string, deps: LogsApiDeps): Promise<LinesBody> {
  const request = parseLinesRequest(query);
  const waitUntil = deps.now() + request.waitMs;
  let watching: Promise<void> | undefined;
  for (;;) {
    const view = await jobView(access, deps);
    if (request.waitMs > 0 && view.status === 'running' && mayPrintMore(access.record.job)) watching ??= deps.watch.record(access.record.registration.jobId);
    const body = await readPage(access, request, view, deps);
    if (body.lines.length > 0 || deps.now() + deps.config.tailPollMs > waitUntil || view.status === 'complete') {
      await watching;
      return body;
    }
    await deps.sleep(deps.config.tailPollMs);
  }
}

async function readPage(access: FoundJob, request: LinesRequest, view: JobView, deps: LogsApiDeps): Promise<LinesBody> {
  const jobId = access.record.registration.jobId;
  const filters = withSourceForFrom(request, view);
  // The order (and so the cursors) of the filters as asked: a permalink into a job's only source
  // pages on with the same requests as the rest of the job, without naming the source.
  const order = orderOf(request.filters);
  checkCursorOrder(request.anchor, order);
  const scope = { jobId, filters, frontier: view.frontier };
  const lines = view.archive ? archiveLines(scope, order, archivePages(view.archive, deps)) : clusterLines(scope, order, deps, view.progress);
  const ctx: PageContext = { scope, order, lines };
  const { anchor, limit } = request;
  const page = anchor.kind === 'around' ? await aroundPage(ctx, anchor.cursor, limit) : await anchoredPage(ctx, anchor, limit);
  return {
    jobId,
    status: view.status,
    ...(view.archive ? { archive: true } : {}),
    lines: page.lines,
    // docs/logs-api.md: null at the start, so a client can tell "nothing before" from the cursor alone.
    prev: page.hasBefore ? (page.lines[0]?.cursor ?? null) : null,
    next: nextCursor(anchor, page, order, view.frontier),
    hasBefore: page.hasBefore,
    hasAfter: page.hasAfter,
  };
}

/**
 * Lines from the cluster: one search for one more than asked, to tell whether more follow. A page
 * read backwards asks within windows of recent lines first (windowsOf).
 */
function clusterLines(scope: LineScope, order: LineOrder, deps: LogsApiDeps, progress: readonly SourceProgress[]): LineSource {
  const index = linesIndex(deps.config.stage);
  const search = async (anchor: FetchAnchor, limit: number) => {
    for (const windowFrom of windowsOf(anchor, order, scope, progress, limit)) {
      const { body, reversed } = linesSearch(scope, anchor, { order, size: limit + 1, windowFrom });
      const answer = await deps.search.search(index, body);
      if (answer.hits.length > limit) return { answer, reversed };
    }
    const { body, reversed } = linesSearch(scope, anchor, { order, size: limit + 1 });
    return { answer: await deps.search.search(index, body), reversed };
  };
  return {
    async fetch(anchor, limit) {
      const { answer, reversed } = await search(anchor, limit);
      const hits = answer.hits.slice(0, limit);
      if (reversed) hits.reverse();
      return {
        lines: hits.map((hit) => toApiLine(hit, order)),
        keys: hits.map((hit) => ({ order, key: lineKey(hit, order) })),
        more: answer.hits.length > limit,
      };
    },
    async anyBefore(anchor) {
      const probe = anyBefore(scope, anchor);
      return probe ? ((await deps.search.search(index, probe)).total?.value ?? 0) > 0 : false;
    },
  };
}

/** The windows of a backward page (backwardWindows, backwardSequenceWindows), from the job's chunk records: the sources asked for. */
function windowsOf(anchor: FetchAnchor, order: LineOrder, scope: LineScope, progress: readonly SourceProgress[], limit: number): number[] {
  if (anchor.kind !== 'before') return [];
  const asked = scope.filters.sources;
  const sources = asked ? progress.filter((p) => asked.includes(p.source)) : progress;
  const lines = sources.reduce((sum, p) => sum + p.lines, 0);
  const size = limit + 1;
  if (order === 'source') {
    const source = sources[0];
    if (!source) return [];
    const untilChunk = anchor.cursor === 'end' ? source.maxSeq : Math.floor(Number(anchor.cursor.key[0]) / SEQUENCE_STRIDE);
    return backwardSequenceWindows({ untilChunk: Number.isFinite(untilChunk) ? untilChunk : undefined, chunks: source.chunks, lines, size });
  }
  const firsts = sources.map((p) => p.firstCaptured).filter((t): t is number => t !== undefined);
  const lasts = sources.map((p) => p.lastCaptured).filter((t): t is number => t !== undefined);
  const last = lasts.length > 0 ? Math.max(...lasts) : undefined;
  const until = anchor.cursor === 'end' ? last : Number(anchor.cursor.key[0]);
  return backwardWindows({ until: Number.isFinite(until) ? until : undefined, first: firsts.length > 0 ? Math.min(...firsts) : undefined, last, lines, size });
}

/** Lines from the job's archive: the same documents, found member by member with ranged reads. */
function archiveLines(scope: LineScope, order: LineOrder, pages: ArchivePages): LineSource {
  const archiveOrderOf = archiveOrder(order, scope.filters);
  const frontier = withinFrontier(scope.frontier);
  const base = { filters: scope.filters, order: archiveOrderOf };
  const toFetched = (records: ArchiveRecord[], more: boolean): Fetched => ({
    lines: records.map((r) => toApiLine({ _source: r.s }, order)),
    keys: records.map((r) => ({ order, key: keyOf(r, archiveOrderOf) })),
    more,
  });
  const both = (where: (r: ArchiveRecord) => boolean) => (frontier ? (r: ArchiveRecord) => frontier(r) && where(r) : where);
  const lineOf = (r: ArchiveRecord, field: 'line' | 'last_line'): number | undefined => {
    const v = r.s['joblogs']?.[field];
    return typeof v === 'number' ? v : undefined;
  };
  return {
    async fetch(anchor, limit) {
      let scan: ScanResult;
      if (anchor.kind === 'after' && isSeenCursor(anchor.cursor)) {
        const cursor = anchor.cursor;
        const unseen = (r: ArchiveRecord) => !isSeen(cursor, keyOf(r, archiveOrderOf));
        scan = await pages.forward({ ...base, limit, where: both(unseen), skipMember: (m) => memberSeen(cursor, m) });
      } else if (anchor.kind === 'after')
        scan = await pages.forward({ ...base, limit, where: frontier, from: anchor.cursor === 'start' ? undefined : anchor.cursor.key });
      else if (anchor.kind === 'before')
        scan = await pages.backward({ ...base, limit, where: frontier, from: anchor.cursor === 'end' ? undefined : anchor.cursor.key });
      else if (anchor.kind === 'from') {
        const reaches = (r: ArchiveRecord) => (lineOf(r, 'line') ?? -1) >= anchor.line || (lineOf(r, 'last_line') ?? -1) >= anchor.line;
        scan = await pages.forward({ ...base, limit, where: both(reaches), skipMember: (m) => !Object.values(m.sources).some((s) => s[4] >= anchor.line) });
      } else {
        const since = (r: ArchiveRecord) => Number(r.s['joblogs']?.['captured'] ?? 0) >= anchor.time;
        scan = await pages.forward({ ...base, limit, where: both(since), skipMember: (m) => m.last[0] < anchor.time });
      }
      return toFetched(scan.records, scan.more);
    },
    async anyBefore(anchor) {
      const where =
        anchor.kind === 'from'
          ? (r: ArchiveRecord) => {
              const n = lineOf(r, 'line');
              return n !== undefined && n < anchor.line;
            }
          : (r: ArchiveRecord) => Number(r.s['joblogs']?.['captured'] ?? 0) < anchor.time;
      return (await pages.forward({ ...base, limit: 0, where: both(where) })).more;
    },
  };
}

/** Up to `limit` lines from an anchor. */
async function fetchLines(ctx: PageContext, anchor: FetchAnchor, limit: number): Promise<Fetched> {
  if (limit === 0) return { lines: [], keys: [], more: true };
  return ctx.lines.fetch(anchor, limit);
}

async function anchoredPage(ctx: PageContext, anchor: Exclude<LinesAnchor, { kind: 'around' }>, limit: number): Promise<Page> {
  const { lines, keys, more } = await fetchLines(ctx, anchor, limit);
  const page = { lines, keys: keys.map((k) => k.key) };
  if (anchor.kind === 'before') return { ...page, hasBefore: more, hasAfter: anchor.cursor !== 'end' };
  if (anchor.kind === 'after') return { ...page, hasBefore: anchor.cursor !== 'start', hasAfter: more };
  return { ...page, hasBefore: await ctx.lines.anyBefore(anchor), hasAfter: more };
}

/**
 * The page centred on a line (a search match, a permalink): half the page before it, then the line
 * itself and what follows — read on from the nearest line before it, so the line is included.
 */
async function aroundPage(ctx: PageContext, cursor: Cursor, limit: number): Promise<Page> {
  const before = await fetchLines(ctx, { kind: 'before', cursor }, Math.floor(limit / 2));
  const nearest = before.keys.at(-1);
  const after = await fetchLines(ctx, { kind: 'after', cursor: nearest ?? 'start' }, limit - before.lines.length);
  return {
    lines: [...before.lines, ...after.lines],
    keys: [...before.keys, ...after.keys].map((k) => k.key),
    hasBefore: before.lines.length > 0 && before.more,
    hasAfter: after.more,
  };
}

/** `from` numbers the lines of one source: the one asked for, or the job's only one. */
function withSourceForFrom(request: LinesRequest, view: JobView): LinesRequest['filters'] {
  if (request.anchor.kind !== 'from' || request.filters.sources?.length === 1) return request.filters;
  if (!request.filters.sources && view.sources.length === 1) return { ...request.filters, sources: [view.sources[0]!] };
  throw new InvalidParameterError('from numbers the lines of one source: add source=<name> (this job has several)');
}

function checkCursorOrder(anchor: LinesAnchor, order: LineOrder): void {
  if ((anchor.kind === 'after' || anchor.kind === 'before' || anchor.kind === 'around') && typeof anchor.cursor === 'object' && anchor.cursor.order !== order) {
    throw new InvalidParameterError(
      `The cursor belongs to ${anchor.cursor.order === 'source' ? "one source's" : 'the merged'} order; keep the source filter it was given with`,
    );
  }
}

/** Where to continue after a page: its last line (in merged order with what each source has seen, tail.ts), or where it was asked from. */
function nextCursor(anchor: LinesAnchor, page: Page, order: LineOrder, frontier: Frontier | undefined): string | null {
  const [first, ...rest] = page.keys;
  if (first === undefined) return afterCursor(anchor);
  return order === 'merged' ? nextMergedCursor(anchor, [first, ...rest], frontier) : page.lines.at(-1)!.cursor;
}

function afterCursor(anchor: LinesAnchor): string | null {
  if (anchor.kind !== 'after') return null;
  return anchor.cursor === 'start' ? 'start' : encodeCursor(anchor.cursor);
}
