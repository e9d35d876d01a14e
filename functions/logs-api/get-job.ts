import {
  errorPosition,
  jobOverview,
  levelsAggregation,
  termCounts,
  linesIndex,
  parseNoParams,
  scopeFilters,
  sortFor,
  toApiLine,
  type JobOverview,
} from '../../shared/core/logs/index.js';
import { TOTAL_HITS_BOUND, type ArchiveIndex } from '../../shared/core/archive/index.js';
import type { LogsApiDeps } from './deps.js';
import { jobView, type FoundJob } from './job-view.js';
import { mayPrintMore } from '../http/watch-recorder.js';

/** Error-level lines listed in a summary. */
const MAX_ERROR_POSITIONS = 1000;

/**
 * `GET /jobs/{jobId}`: who owns the job, its status and exit, its sources and lines so far, counts
 * by level, where its errors are. Asking for a running job's summary records that it is watched.
 */
export async function getJob(access: FoundJob, query: string, deps: LogsApiDeps): Promise<JobOverview & { archive?: true }> {
  parseNoParams(query);
  const view = await jobView(access, deps);
  const { registration, job } = access.record;
  const watching = view.status === 'running' && mayPrintMore(job) ? deps.watch.record(registration.jobId) : undefined;
  if (view.archive)
    return { ...jobOverview({ registration, job, status: view.status, progress: view.progress, ...archivedCounts(view.archive) }), archive: true };
  const index = linesIndex(deps.config.stage);
  const scope = { jobId: registration.jobId, filters: {}, frontier: view.frontier };
  const [levels, errors] = await Promise.all([
    deps.search.search(index, levelsAggregation(scopeFilters(scope))),
    deps.search.search(index, {
      size: MAX_ERROR_POSITIONS,
      track_total_hits: 10_000,
      query: { bool: { filter: [...scopeFilters(scope), { terms: { 'log.level': ['error', 'fatal', 'critical'] } }] } },
      sort: sortFor('merged'),
      _source: ['@timestamp', 'joblogs.source', 'joblogs.line', 'joblogs.captured', 'joblogs.stream', 'log.level', 'event.sequence'],
    }),
  ]);
  await watching;
  const positions = errors.hits.map((hit) => errorPosition(toApiLine(hit, 'merged')));
  return jobOverview({
    registration,
    job,
    status: view.status,
    progress: view.progress,
    levels: termCounts(levels.aggregations, 'levels'),
    streams: termCounts(levels.aggregations, 'streams'),
    errors: { total: errors.total?.value ?? positions.length, totalExact: errors.total?.relation !== 'gte', first: positions[0] ?? null, positions },
  });
}

/** The counts and error positions the assembler recorded in the archive, as the cluster's aggregations give them. */
function archivedCounts(index: ArchiveIndex): Pick<Parameters<typeof jobOverview>[0], 'levels' | 'streams' | 'errors'> {
  const { count, positions } = index.errors;
  return {
    // The cluster's terms aggregations: the 32 most frequent levels, 4 streams.
    levels: top(index.levels, 32),
    streams: top(index.streams, 4),
    errors: { total: Math.min(count, TOTAL_HITS_BOUND), totalExact: count <= TOTAL_HITS_BOUND, first: positions[0] ?? null, positions },
  };
}

function top(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n),
  );
}
