import {
  errorPosition,
  jobOverview,
  levelsAggregation,
  termCounts,
  linesIndex,
  SUMMARY_LEVELS,
  SUMMARY_STREAMS,
  topCounts,
  type JobCounts,
  type LineScope,
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
  const [counts, errors] = await Promise.all([
    view.counts ?? countLines(scope, deps),
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
    ...counts,
    errors: { total: errors.total?.value ?? positions.length, totalExact: errors.total?.relation !== 'gte', first: positions[0] ?? null, positions },
  });
}

/** The job's lines by level and stream, aggregated over its lines (what its chunk records could not say). */
async function countLines(scope: LineScope, deps: LogsApiDeps): Promise<JobCounts> {
  const answer = await deps.search.search(linesIndex(deps.config.stage), levelsAggregation(scopeFilters(scope)));
  return { levels: termCounts(answer.aggregations, 'levels'), streams: termCounts(answer.aggregations, 'streams') };
}

/** The counts and error positions the assembler recorded in the archive, as the cluster's aggregations give them. */
function archivedCounts(index: ArchiveIndex): Pick<Parameters<typeof jobOverview>[0], 'levels' | 'streams' | 'errors'> {
  const { count, positions } = index.errors;
  return {
    // As the cluster's terms aggregations give them.
    levels: topCounts(index.levels, SUMMARY_LEVELS),
    streams: topCounts(index.streams, SUMMARY_STREAMS),
    errors: { total: Math.min(count, TOTAL_HITS_BOUND), totalExact: count <= TOTAL_HITS_BOUND, first: positions[0] ?? null, positions },
  };
}
