import { UploadGoneError, type ObjectWriter, type UploadCheckpoint } from '../../shared/adapters/s3/multipart-writer.js';
import type { JobRecord } from '../../shared/adapters/s3/job-store.js';
import { chunkKey, type JobRegistration, type JobSummary } from '../../shared/core/contract/index.js';
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
import { ByteBudget, readSource } from './source-reader.js';
import { stillRegistered } from './still-registered.js';

/** What the chunks read ahead may hold in memory in all (every source of the job shares it). */
const PREFETCH_BUDGET_BYTES = 64 * 1024 * 1024;

export type AssembleOutcome =
  | { kind: 'not-found' }
  /** No launcher registered the job: nobody could read a download file, so none is built. */
  | { kind: 'unregistered' }
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
export async function assembleJob(
  request: AssembleRequest,
  record: Pick<JobRecord, 'registration' | 'job'>,
  deps: AssemblerDeps,
  deadlineAt: number,
): Promise<AssembleOutcome> {
  const { registration, job } = record;
  if (!job) return { kind: 'not-found' };
  if (!registration) return { kind: 'unregistered' };
  if (!job.complete && !request.partial && !request.continuation) return { kind: 'running' };
  const plan = planAssembly(job, await deps.listing.listJobChunks(job.jobId));
  const notYet = request.continuation ? undefined : await notYetOutcome(request, job, plan, deps);
  if (notYet) return notYet;
  try {
    return await writeDownload({ job, registration, plan }, request.continuation, deps, deadlineAt);
  } catch (error) {
    if (request.continuation && error instanceof UploadGoneError) return { kind: 'obsolete' };
    throw error;
  }
}

/** {@link assembleJob} after reading the job's markers. */
export async function readAndAssembleJob(request: AssembleRequest, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  return assembleJob(request, await deps.jobs.readJob(request.jobId), deps, deadlineAt);
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

/** What a download file is built from: the job's markers, its registration (who it is for) and its chunks. */
interface JobToWrite {
  job: JobSummary;
  registration: JobRegistration;
  plan: AssemblyPlan;
}

async function writeDownload(
  { job, registration, plan }: JobToWrite,
  resumed: Continuation | undefined,
  deps: AssemblerDeps,
  deadlineAt: number,
): Promise<AssembleOutcome> {
  const { config } = deps;
  const key = downloadKey(job.jobId, config.downloadPrefix);
  const writer = resumed ? deps.downloads.resume(key, CONTENT_TYPE, resumed.upload) : deps.downloads.create(key, CONTENT_TYPE);
  const merge = mergeSources(job, plan, resumed, deps);
  const members = new MemberPipeline(
    { writer, merge, sources: plan.sources.length, memberBytes: config.memberBytes, gzipLevel: config.gzipLevel },
    { lines: resumed?.lines ?? 0, gaps: resumed?.gaps ?? 0 },
  );
  try {
    const stopAt = await copyItems(merge, members, () => deps.now() >= deadlineAt);
    if (!stopAt) await members.finish(!resumed);
    // A purge that ran meanwhile deleted the registration first: write nothing of the job back.
    if (!(await stillRegistered(job.jobId, deps))) {
      await writer.abort();
      return { kind: 'unregistered' };
    }
    if (stopAt) return { kind: 'continued', continuation: continuationAt(stopAt, writer, resumed) };
    const metadata = downloadMetadata({ job, registration, plan }, members);
    await writer.finish(toS3Metadata(metadata), `attachment; filename="${downloadFileName(job.jobId)}"`);
    return { kind: 'assembled', key, metadata, invocations: resumed ? resumed.invocations : 1 };
  } finally {
    await merge.close();
  }
}

/** Every source still to read, from where a continuation left it. */
function mergeSources(job: JobSummary, plan: AssemblyPlan, resumed: Continuation | undefined, deps: AssemblerDeps): SourceMerge {
  const { config } = deps;
  const open = (source: string) => (seq: number) => deps.chunks.open(config.logBucket, chunkKey({ jobId: job.jobId, source, seq }, config.chunkPrefix));
  const budget = new ByteBudget(PREFETCH_BUDGET_BYTES);
  const readerDeps = (source: string) => ({
    open: open(source),
    prefetch: config.prefetchChunks,
    budget,
    maxChunkBytes: config.maxChunkBytes,
    startTime: Date.parse(job.startedAt),
  });
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

/** The file's metadata; owner and team are the registration's (the signer hands the file only to them). */
function downloadMetadata({ job, registration, plan }: JobToWrite, members: MemberPipeline): DownloadMetadata {
  return {
    owner: registration.owner,
    team: registration.team,
    lineCount: members.counts.lines,
    gaps: members.counts.gaps,
    missingChunks: plan.missingChunks,
    status: job.complete ? DownloadStatus.complete : DownloadStatus.partial,
    sources: plan.sources.length,
    chunks: plan.presentChunks,
  };
}

/** Where the next invocation goes on: positions and counts only — it reads the registration itself. */
function continuationAt(at: Snapshot, writer: ObjectWriter, resumed: Continuation | undefined): Continuation {
  const upload: UploadCheckpoint = writer.checkpoint()!;
  return { upload, cursor: at.cursor, lines: at.lines, gaps: at.gaps, invocations: (resumed?.invocations ?? 1) + 1 };
}
