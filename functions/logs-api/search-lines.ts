import {
  encodeCursor,
  highlightOffsets,
  linesIndex,
  orderOf,
  parseSearchRequest,
  searchBody,
  toApiLine,
  type ApiLine,
  type Hit,
  type LineOrder,
  type SearchRequest,
} from '../../shared/core/logs/index.js';
import { InvalidParameterError } from '../../shared/core/errors.js';
import { shownText } from '../../shared/core/contract/index.js';
import { compareKeys, keyOf, matchText, textQuery, TOTAL_HITS_BOUND, type ArchivePages } from '../../shared/core/archive/index.js';
import { KIND_TRAITS, type PhraseHighlight } from '../../shared/core/cluster/index.js';
import { archiveOrder, archivePages, withinFrontier } from './archive-source.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob, type JobView } from './job-view.js';

/** The body of `GET /jobs/{jobId}/search`. */
export interface SearchBody {
  jobId: string;
  total: number;
  totalExact: boolean;
  matches: Array<ApiLine & { highlights: Array<[number, number]> }>;
  next: string | null;
  /** Answered from the job's archive (docs/archive.md). */
  archive?: true;
}

/** The job's lines that hold every word and phrase of `q`, in printed order, with where they match. */
export async function searchLines(access: FoundJob, query: string, deps: LogsApiDeps): Promise<SearchBody> {
  const request = parseSearchRequest(query);
  const view = await jobView(access, deps);
  const order = orderOf(request.filters);
  if (request.after && request.after.order !== order)
    throw new InvalidParameterError('The cursor belongs to another order; keep the source filter it was given with');
  const jobId = access.record.registration.jobId;
  if (view.archive) {
    const phraseHighlight = KIND_TRAITS[deps.config.cluster.kind].phraseHighlight;
    return { ...(await searchArchive(archivePages(view.archive, deps), { request, order, view, jobId, phraseHighlight })), archive: true };
  }
  const body = searchBody({ jobId, filters: request.filters, frontier: view.frontier }, request.terms, {
    order,
    size: request.limit + 1,
    after: request.after,
  });
  const answer = await deps.search.search(linesIndex(deps.config.stage), body);
  const hits = answer.hits.slice(0, request.limit);
  const matches = hits.map((hit) => {
    const line = toApiLine(hit, order);
    return { ...line, highlights: highlightsOf(hit, line.text) };
  });
  return {
    jobId,
    total: answer.total?.value ?? matches.length,
    totalExact: answer.total?.relation !== 'gte',
    matches,
    next: answer.hits.length > request.limit ? (matches.at(-1)?.cursor ?? null) : null,
  };
}

/**
 * Where a hit matched, in its text as printed. The cluster highlights `message`: the text as shown
 * where the indexer took the colour codes out (`joblogs.colours`), whose highlights are mapped back
 * past them; the printed text itself in documents written before that.
 */
function highlightsOf(hit: Hit, text: string): Array<[number, number]> {
  const marked = hit.highlight?.['message']?.[0];
  if (marked === undefined) return [];
  const shown = hit._source?.['joblogs']?.['colours'] === undefined ? undefined : shownText(text);
  if (shown === undefined) return highlightOffsets(marked, text);
  return highlightOffsets(marked, shown.text).map(([start, end]) => [shown.at[start]!, shown.at[end - 1]! + 1]);
}

/** Bytes of an archive (compressed) one search request reads at most; a smaller archive is read whole, so its total is exact. */
export const ARCHIVE_SEARCH_BYTES = 8 * 1024 * 1024;

/**
 * A search of an archived job: its members are scanned, the job's documents matched as the cluster
 * matches them (text-match.ts). An archive up to {@link ARCHIVE_SEARCH_BYTES} is read whole (the
 * total counts every match); a bigger one is read from the cursor on until the page is full or the
 * budget is spent — then `next` is where the scan stopped and the total counts what it saw.
 */
export async function searchArchive(
  pages: ArchivePages,
  o: {
    request: SearchRequest;
    order: LineOrder;
    view: Pick<JobView, 'archive' | 'frontier'>;
    jobId: string;
    budgetBytes?: number;
    /** The cluster kind's, so that highlights are what the cluster would answer (default: one span per phrase). */
    phraseHighlight?: PhraseHighlight;
  },
): Promise<SearchBody> {
  const { request, order } = o;
  const budget = o.budgetBytes ?? ARCHIVE_SEARCH_BYTES;
  const archiveOrderOf = archiveOrder(order, request.filters);
  const q = textQuery(request.terms, o.phraseHighlight);
  const whole = o.view.archive!.bytes <= budget;
  const after = request.after?.key;
  const frontier = withinFrontier(o.view.frontier);
  const matches: SearchBody['matches'] = [];
  let total = 0;
  let more = false;
  const scan = pages.scan({ filters: request.filters, order: archiveOrderOf, from: whole ? undefined : after }, whole ? Number.POSITIVE_INFINITY : budget);
  let step = await scan.next();
  for (; !step.done; step = await scan.next()) {
    const record = step.value;
    if (frontier && !frontier(record)) continue;
    const line = toApiLine({ _source: record.s }, order);
    const highlights = matchText(line.text, q);
    if (!highlights) continue;
    total++;
    if (after !== undefined && compareKeys(keyOf(record, archiveOrderOf), after) <= 0) continue;
    if (matches.length < request.limit) matches.push({ ...line, highlights });
    else if (!more) {
      more = true;
      if (!whole) break;
    }
  }
  // The budget ran out before the page was full: go on after the last member read.
  const stoppedAt = step.done && !step.value.complete && step.value.readTo ? encodeCursor({ order, key: step.value.readTo }) : null;
  return {
    jobId: o.jobId,
    total: whole ? Math.min(total, TOTAL_HITS_BOUND) : total,
    totalExact: whole ? total <= TOTAL_HITS_BOUND : false,
    matches,
    next: more ? (matches.at(-1)?.cursor ?? null) : stoppedAt,
  };
}
