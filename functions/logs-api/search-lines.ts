import { highlightOffsets, linesIndex, orderOf, parseSearchRequest, searchBody, toApiLine, type ApiLine } from '../../shared/core/logs/index.js';
import { InvalidParameterError } from '../../shared/core/errors.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob } from './job-view.js';

/** The body of `GET /jobs/{jobId}/search`. */
export interface SearchBody {
  jobId: string;
  total: number;
  totalExact: boolean;
  matches: Array<ApiLine & { highlights: Array<[number, number]> }>;
  next: string | null;
}

/** The job's lines that hold every word and phrase of `q`, in printed order, with where they match. */
export async function searchLines(access: FoundJob, query: string, deps: LogsApiDeps): Promise<SearchBody> {
  const request = parseSearchRequest(query);
  const view = await jobView(access, deps);
  const order = orderOf(request.filters);
  if (request.after && request.after.order !== order)
    throw new InvalidParameterError('The cursor belongs to another order; keep the source filter it was given with');
  const jobId = access.record.registration.jobId;
  const body = searchBody({ jobId, filters: request.filters, frontier: view.frontier }, request.terms, {
    order,
    size: request.limit + 1,
    after: request.after,
  });
  const answer = await deps.search.search(linesIndex(deps.config.stage), body);
  const hits = answer.hits.slice(0, request.limit);
  const matches = hits.map((hit) => {
    const line = toApiLine(hit, order);
    const marked = hit.highlight?.['message']?.[0];
    const { text, ranges } = marked === undefined ? { text: line.text, ranges: [] } : highlightOffsets(marked);
    return { ...line, text, highlights: ranges };
  });
  return {
    jobId,
    total: answer.total?.value ?? matches.length,
    totalExact: answer.total?.relation !== 'gte',
    matches,
    next: answer.hits.length > request.limit ? (matches.at(-1)?.cursor ?? null) : null,
  };
}
