import {
  chunkRecordsAggregation,
  chunksIndex,
  chunksToCheck,
  firstMissingSeq,
  frontierOf,
  fullyIndexed,
  linesIndex,
  recentChunks,
  recordedCounts,
  SEARCHABLE_WITHIN_MS,
  searchableFrontier,
  searchableLinesAggregation,
  sourceProgress,
  type Frontier,
  type JobCounts,
  type RecordedChunk,
  type SourceProgress,
} from '../../shared/core/logs/index.js';
import type { ArchiveIndex } from '../../shared/core/archive/index.js';
import type { AuthorizedJob } from '../http/authorize.js';
import { findArchive, requestArchive } from './archive-source.js';
import type { LogsApiDeps } from './deps.js';

export type FoundJob = Extract<AuthorizedJob, { found: true }>;

/** What a request needs to know about a job besides its registration: how far its lines are searchable. */
export interface JobView {
  /** `complete`: every source has finished and every one of its chunks is indexed. */
  status: 'running' | 'complete';
  progress: SourceProgress[];
  /** Undefined once every chunk of a finished job is indexed (no line is held back). */
  frontier: Frontier | undefined;
  sources: string[];
  /** Its lines by level and stream as its chunk records add them up, where they can (else the summary aggregates the lines). */
  counts?: JobCounts | undefined;
  /** Set when the job's documents have aged out of the cluster: every answer comes from its archive (docs/archive.md). */
  archive?: ArchiveIndex | undefined;
}

/**
 * Reads the job's chunk records: per source how far every chunk is indexed (the frontier a running
 * job's answers stop at, so a tail never passes a chunk still being indexed), and its lines so far.
 * A complete job's view no longer changes: it is kept in `deps.completeViews`, so reading a
 * finished job costs one search per page.
 */
export async function jobView(access: FoundJob, deps: LogsApiDeps): Promise<JobView> {
  const { jobId } = access.record.registration;
  const known = deps.completeViews.get(jobId);
  if (known) return known;
  const view = await readJobView(access, deps);
  // An archived view is not kept: a job whose documents are still on their way to the cluster is
  // answered from its archive only until they are there.
  if (view.status === 'complete' && !view.archive) deps.completeViews.set(jobId, view);
  return view;
}

async function readJobView(access: FoundJob, deps: LogsApiDeps): Promise<JobView> {
  const { jobId } = access.record.registration;
  const index = chunksIndex(deps.config.stage);
  const answer = await deps.search.search(index, chunkRecordsAggregation(jobId, deps.now() - SEARCHABLE_WITHIN_MS));
  const contiguous = await Promise.all(
    sourceProgress(answer.aggregations).map(async (p) => {
      if (p.frontier === p.maxSeq) return p;
      const count = (seq: number) =>
        deps.search.count(index, {
          bool: { filter: [{ term: { 'labels.job_id': jobId } }, { term: { 'joblogs.source': p.source } }, { range: { 'joblogs.chunk_seq': { lte: seq } } }] },
        });
      return { ...p, frontier: (await firstMissingSeq(p.maxSeq, count)) - 1 };
    }),
  );
  const progress = await searchableProgress(jobId, contiguous, recentChunks(answer.aggregations), deps);
  const job = access.record.job;
  // Complete only once every line is searchable too: a tail that stops at `complete` has them all.
  const indexed = fullyIndexed(job, progress);
  // A finished job whose documents are not all in the cluster: they aged out (all, or the part in
  // an older backing index), or are still on their way. Its archive holds them all.
  if (job?.complete && !indexed) {
    const archived = await archivedView(access, deps, progress.length === 0);
    if (archived) return archived;
  }
  const sources = [...new Set([...(job?.sources ?? []).map((m) => m.source), ...progress.map((p) => p.source)])].sort();
  return {
    status: indexed ? 'complete' : 'running',
    progress,
    frontier: indexed ? undefined : frontierOf(progress),
    sources,
    counts: recordedCounts(answer.aggregations, progress),
  };
}

/**
 * The progress with each source's frontier before the first recently recorded chunk whose lines
 * are not all searchable yet (searchable.ts): one search of the lines, only when a chunk up to a
 * frontier was recorded in the last few minutes.
 */
async function searchableProgress(
  jobId: string,
  progress: SourceProgress[],
  recent: ReadonlyMap<string, readonly RecordedChunk[]>,
  deps: LogsApiDeps,
): Promise<SourceProgress[]> {
  const checks = chunksToCheck(progress, recent);
  if (checks.size === 0) return progress;
  const answer = await deps.search.search(linesIndex(deps.config.stage), searchableLinesAggregation(jobId, checks));
  return searchableFrontier(progress, checks, answer.aggregations);
}

/**
 * The view of a job answered from its archive: the progress the assembler recorded from its chunks.
 * No archive, and nothing of the job in the cluster: a job that ended `agedOutAfterMs` ago or more
 * has aged out without one (it is asked for, 202); a younger one is still being indexed
 * (undefined: the cluster's view, as for a job with some documents and no archive).
 */
async function archivedView(access: FoundJob, deps: LogsApiDeps, nothingIndexed: boolean): Promise<JobView | undefined> {
  const { jobId } = access.record.registration;
  const job = access.record.job;
  const index = await findArchive(jobId, deps);
  if (!index) {
    const endedAt = job?.endedAt ? Date.parse(job.endedAt) : Number.NaN;
    if (nothingIndexed && (Number.isNaN(endedAt) || deps.now() - endedAt >= deps.config.agedOutAfterMs)) await requestArchive(jobId, deps);
    return undefined;
  }
  const indexed = fullyIndexed(job, index.progress);
  const sources = [...new Set([...(job?.sources ?? []).map((m) => m.source), ...index.progress.map((p) => p.source)])].sort();
  return {
    status: indexed ? 'complete' : 'running',
    progress: index.progress,
    frontier: indexed ? undefined : frontierOf(index.progress),
    sources,
    archive: index,
  };
}
