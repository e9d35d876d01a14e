import { anyBefore, encodeCursor, linesIndex, linesSearch, orderOf, parseLinesRequest, toApiLine, type ApiLine, type LineOrder, type LineScope, type LinesRequest } from '../../shared/core/logs/index.js';
import { InvalidParameterError } from '../../shared/core/errors.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob, type JobView } from './job-view.js';

/** The body of `GET /jobs/{jobId}/lines` (docs/logs-api.md). */
export interface LinesBody {
  jobId: string;
  status: 'running' | 'complete';
  lines: ApiLine[];
  prev: string | null;
  next: string | null;
  hasBefore: boolean;
  hasAfter: boolean;
}

/**
 * A page of a job's lines around an anchor, in printed order. With `wait`, a page that would be
 * empty is asked for again every `TAIL_POLL_MS` until a line after the cursor is searchable (up to
 * the frontier of fully indexed chunks) or the wait is over: the live tail.
 */
export async function getLines(access: FoundJob, query: string, deps: LogsApiDeps): Promise<LinesBody> {
  const request = parseLinesRequest(query);
  const waitUntil = deps.now() + request.waitMs;
  for (;;) {
    const view = await jobView(access, deps);
    const body = await readPage(access, request, view, deps);
    if (body.lines.length > 0 || deps.now() + deps.config.tailPollMs > waitUntil || view.status === 'complete') return body;
    await deps.sleep(deps.config.tailPollMs);
  }
}

async function readPage(access: FoundJob, request: LinesRequest, view: JobView, deps: LogsApiDeps): Promise<LinesBody> {
  const jobId = access.record.registration.jobId;
  const filters = withSourceForFrom(request, view);
  const order = orderOf(filters);
  checkCursorOrder(request, order);
  const scope: LineScope = { jobId, filters, frontier: view.frontier };
  const { body, reversed } = linesSearch(scope, request.anchor, { order, size: request.limit + 1 });
  const index = linesIndex(deps.config.stage);
  const answer = await deps.search.search(index, body);
  const more = answer.hits.length > request.limit;
  const hits = answer.hits.slice(0, request.limit);
  const lines = (reversed ? hits.reverse() : hits).map((hit) => toApiLine(hit, order));
  const { hasBefore, hasAfter } = await edges(request, { more, reversed, scope, index, deps });
  return {
    jobId,
    status: view.status,
    lines,
    prev: lines[0]?.cursor ?? null,
    next: lines.at(-1)?.cursor ?? afterCursor(request),
    hasBefore,
    hasAfter,
  };
}

/** Whether lines exist before and after the page: one side from the page itself, the other from the anchor. */
async function edges(request: LinesRequest, o: { more: boolean; reversed: boolean; scope: LineScope; index: string; deps: LogsApiDeps }): Promise<{ hasBefore: boolean; hasAfter: boolean }> {
  const { anchor } = request;
  if (anchor.kind === 'before') return { hasBefore: o.more, hasAfter: anchor.cursor !== 'end' };
  if (anchor.kind === 'after') return { hasBefore: anchor.cursor !== 'start', hasAfter: o.more };
  const probe = anyBefore(o.scope, anchor);
  const before = probe ? (await o.deps.search.search(o.index, probe)).total?.value ?? 0 : 0;
  return { hasBefore: before > 0, hasAfter: o.more };
}

/** `from` numbers the lines of one source: the one asked for, or the job's only one. */
function withSourceForFrom(request: LinesRequest, view: JobView): LinesRequest['filters'] {
  if (request.anchor.kind !== 'from' || request.filters.sources?.length === 1) return request.filters;
  if (!request.filters.sources && view.sources.length === 1) return { ...request.filters, sources: [view.sources[0]!] };
  throw new InvalidParameterError('from numbers the lines of one source: add source=<name> (this job has several)');
}

function checkCursorOrder(request: LinesRequest, order: LineOrder): void {
  const { anchor } = request;
  if ((anchor.kind === 'after' || anchor.kind === 'before') && typeof anchor.cursor === 'object' && anchor.cursor.order !== order) {
    throw new InvalidParameterError(`The cursor belongs to ${anchor.cursor.order === 'source' ? 'one source\'s' : 'the merged'} order; keep the source filter it was given with`);
  }
}

function afterCursor(request: LinesRequest): string | null {
  const { anchor } = request;
  if (anchor.kind !== 'after') return null;
  return anchor.cursor === 'start' ? 'start' : encodeCursor(anchor.cursor);
}
