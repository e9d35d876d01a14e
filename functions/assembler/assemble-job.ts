import { UploadGoneError, type ObjectWriter, type UploadCheckpoint } from '../../shared/adapters/s3/multipart-writer.js';
import { chunkKey, type JobSummary } from '../../shared/core/contract/index.js';
import {
  downloadFileName,
  downloadKey,
  DownloadStatus,
  gapWaitRemaining,
  planAssembly,
  SourceMerge,
  toS3Metadata,
  type AssembleRequest,
  type AssemblyPlan,
  type Continuation,
  type DownloadMetadata,
} from '../../shared/core/download/index.js';
import type { AssemblerDeps } from './deps.js';
import { MemberPipeline, type Snapshot } from './member-pipeline.js';
import { readSource } from './source-reader.js';

export type AssembleOutcome =
  | { kind: 'not-found' }
  | { kind: 'running' }
  | { kind: 'waiting'; retryInMs: number; missingChunks: number }
  | { kind: 'unchanged'; missingChunks: number }
  | { kind: 'assembled'; key: string; metadata: DownloadMetadata; invocations: number }
  | { kind: 'continued'; continuation: Continuation }
  /** A continuation whose upload another delivery already completed (or abandoned). */
  | { kind: 'obsolete' };

/**
 * Builds (or continues building) `downloads/<jobId>.log.gz` from the job's chunks. Deterministic:
 * the same chunks always give the same bytes, however many invocations it takes, so running it
 * twice (duplicate delivery, a recheck) yields the same object.
 */
export async function assembleJob(request: AssembleRequest, job: JobSummary | undefined, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  if (!job) return { kind: 'not-found' };
  if (!job.complete && !request.partial && !request.continuation) return { kind: 'running' };
  const plan = planAssembly(job, await deps.listing.listJobChunks(job.jobId));
  const notYet = request.continuation ? undefined : await notYetOutcome(request, job, plan, deps);
  if (notYet) return notYet;
  try {
    return await writeDownload(job, plan, request.continuation, deps, deadlineAt);
  } catch (error) {
    if (request.continuation && error instanceof UploadGoneError) return { kind: 'obsolete' };
    throw error;
  }
}

/** {@link assembleJob} after reading the job's markers. */
export async function readAndAssembleJob(request: AssembleRequest, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  const { job } = await deps.jobs.readJob(request.jobId);
  return assembleJob(request, job, deps, deadlineAt);
}

/** Still waiting for late chunks, or a recheck that found none: nothing to write. */
async function notYetOutcome(request: AssembleRequest, job: JobSummary, plan: AssemblyPlan, deps: AssemblerDeps): Promise<AssembleOutcome | undefined> {
  const retryInMs = gapWaitRemaining(plan, job, deps.config.gapWaitMs, deps.now());
  if (retryInMs > 0) return { kind: 'waiting', retryInMs, missingChunks: plan.missingChunks };
  if (request.recheck === undefined) return undefined;
  const existing = await deps.jobs.headDownload(job.jobId);
  return existing && plan.missingChunks >= existing.metadata.missingChunks ? { kind: 'unchanged', missingChunks: plan.missingChunks } : undefined;
}

const CONTENT_TYPE = 'application/gzip';

async function writeDownload(job: JobSummary, plan: AssemblyPlan, resumed: Continuation | undefined, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  const { config } = deps;
  const key = downloadKey(job.jobId, config.downloadPrefix);
  const writer = resumed ? deps.downloads.resume(key, CONTENT_TYPE, resumed.upload) : deps.downloads.create(key, CONTENT_TYPE);
  const owners = new ChunkOwners(resumed);
  const merge = mergeSources(job, plan, resumed, deps, owners);
  const members = new MemberPipeline(
    { writer, merge, sources: plan.sources.length, memberBytes: config.memberBytes, gzipLevel: config.gzipLevel },
    { lines: resumed?.lines ?? 0, gaps: resumed?.gaps ?? 0 },
  );
  try {
    const stopAt = await copyItems(merge, members, () => deps.now() >= deadlineAt);
    if (stopAt) return { kind: 'continued', continuation: continuationAt(stopAt, writer, owners, resumed) };
    await members.finish(!resumed);
    const metadata = downloadMetadata(job, plan, members, owners);
    await writer.finish(toS3Metadata(metadata), `attachment; filename="${downloadFileName(job.jobId)}"`);
    return { kind: 'assembled', key, metadata, invocations: resumed ? resumed.invocations : 1 };
  } finally {
    await merge.close();
  }
}

/** Every source still to read, from where a continuation left it. */
function mergeSources(job: JobSummary, plan: AssemblyPlan, resumed: Continuation | undefined, deps: AssemblerDeps, owners: ChunkOwners): SourceMerge {
  const { config } = deps;
  const open = (source: string) => (seq: number) => deps.chunks.open(config.logBucket, chunkKey({ jobId: job.jobId, source, seq }, config.chunkPrefix));
  const readerDeps = (source: string) => ({ open: open(source), onChunk: owners.see, prefetch: config.prefetchChunks, startTime: Date.parse(job.startedAt) });
  return new SourceMerge(
    plan.sources
      .filter((s) => resumed?.cursor[s.source] !== null)
      .map((s) => ({ source: s.source, items: readSource(s, readerDeps(s.source), resumed?.cursor[s.source] ?? undefined) })),
  );
}

/** Merged items into members until every source is read, or until the deadline says stop after a part. */
async function copyItems(merge: SourceMerge, members: MemberPipeline, pastDeadline: () => boolean): Promise<Snapshot | undefined> {
  for (;;) {
    const next = merge.take();
    if (!next) {
      if (await merge.fill()) continue;
      return undefined;
    }
    members.add(next.source, next.item);
    if (!members.full) continue;
    const stopAt = await members.cut(pastDeadline);
    if (stopAt) return stopAt;
  }
}

/** Owner and team as the first chunk that names them says (carried across continuations). */
class ChunkOwners {
  owner: string | undefined;
  team: string | undefined;
  constructor(resumed: Continuation | undefined) {
    this.owner = resumed?.owner;
    this.team = resumed?.team;
  }
  readonly see = (metadata: Record<string, string | undefined>): void => {
    this.owner ??= metadata['owner'];
    this.team ??= metadata['team'];
  };
}

function downloadMetadata(job: JobSummary, plan: AssemblyPlan, members: MemberPipeline, owners: ChunkOwners): DownloadMetadata {
  return {
    owner: owners.owner ?? job.owner,
    team: owners.team ?? job.team,
    lineCount: members.counts.lines,
    gaps: members.counts.gaps,
    missingChunks: plan.missingChunks,
    status: job.complete ? DownloadStatus.complete : DownloadStatus.partial,
    sources: plan.sources.length,
    chunks: plan.presentChunks,
  };
}

function continuationAt(at: Snapshot, writer: ObjectWriter, owners: ChunkOwners, resumed: Continuation | undefined): Continuation {
  const upload: UploadCheckpoint = writer.checkpoint()!;
  const c: Continuation = { upload, cursor: at.cursor, lines: at.lines, gaps: at.gaps, invocations: (resumed?.invocations ?? 1) + 1 };
  if (owners.owner !== undefined) c.owner = owners.owner;
  if (owners.team !== undefined) c.team = owners.team;
  return c;
}
