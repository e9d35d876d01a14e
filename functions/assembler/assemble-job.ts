import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { listJobChunks } from '../../shared/adapters/s3/chunk-listing.js';
import { MultipartWriter } from '../../shared/adapters/s3/multipart-writer.js';
import { chunkKey, type JobSummary } from '../../shared/core/contract/index.js';
import { downloadFileName, downloadKey, DownloadTextWriter, DownloadStatus, gapWaitRemaining, planAssembly, toS3Metadata, type AssembleRequest, type AssemblyPlan, type Continuation, type DownloadMetadata } from '../../shared/core/download/index.js';
import type { AssemblerDeps } from './deps.js';
import { SourceMerge, type MergeCursor } from '../../shared/core/download/source-merge.js';
import { readSource } from './source-reader.js';

const gzipAsync = promisify(gzip);
/** gzip members compressed at once (libuv's thread pool has 4 threads). */
const MEMBERS_IN_FLIGHT = 4;
const GZIP_CHUNK_BYTES = 1 << 20;

export type AssembleOutcome =
  | { kind: 'not-found' }
  | { kind: 'running' }
  | { kind: 'waiting'; retryInMs: number; missingChunks: number }
  | { kind: 'unchanged'; missingChunks: number }
  | { kind: 'assembled'; key: string; metadata: DownloadMetadata; invocations: number }
  | { kind: 'continued'; continuation: Continuation };

/**
 * Builds (or continues building) `downloads/<jobId>.log.gz` from the job's chunks. Deterministic:
 * the same chunks always give the same bytes, however many invocations it takes, so running it
 * twice (duplicate delivery, a recheck) yields the same object.
 */
export async function assembleJob(request: AssembleRequest, job: JobSummary | undefined, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  const { config } = deps;
  if (!job) return { kind: 'not-found' };
  if (!job.complete && !request.partial && !request.continuation) return { kind: 'running' };
  const plan = planAssembly(job, await listJobChunks(deps.s3, config.logBucket, job.jobId, config.chunkPrefix));
  if (!request.continuation) {
    const retryInMs = gapWaitRemaining(plan, job, config.gapWaitMs, deps.now());
    if (retryInMs > 0) return { kind: 'waiting', retryInMs, missingChunks: plan.missingChunks };
    if (request.recheck !== undefined) {
      const existing = await deps.jobs.headDownload(job.jobId);
      if (existing && plan.missingChunks >= existing.metadata.missingChunks) return { kind: 'unchanged', missingChunks: plan.missingChunks };
    }
  }
  return writeDownload(job, plan, request.continuation, deps, deadlineAt);
}

/** {@link assembleJob} after reading the job's markers. */
export async function readAndAssembleJob(request: AssembleRequest, deps: AssemblerDeps, deadlineAt: number): Promise<AssembleOutcome> {
  const { job } = await deps.jobs.readJob(request.jobId);
  return assembleJob(request, job, deps, deadlineAt);
}

interface Snapshot {
  cursor: MergeCursor;
  lines: number;
  gaps: number;
}

async function writeDownload(
  job: JobSummary,
  plan: AssemblyPlan,
  resumed: Continuation | undefined,
  deps: AssemblerDeps,
  deadlineAt: number,
): Promise<AssembleOutcome> {
  const { config } = deps;
  const key = downloadKey(job.jobId, config.downloadPrefix);
  const writerOptions = { bucket: config.logBucket, key, contentType: 'application/gzip', partBytes: config.partBytes };
  const writer = resumed ? MultipartWriter.resume(deps.s3, writerOptions, resumed.upload) : MultipartWriter.create(deps.s3, writerOptions);
  let owner = resumed?.owner;
  let team = resumed?.team;
  const onChunk = (m: Record<string, string | undefined>) => {
    owner ??= m['owner'];
    team ??= m['team'];
  };
  const merge = new SourceMerge(
    plan.sources
      .filter((s) => resumed?.cursor[s.source] !== null)
      .map((s) => ({
        source: s.source,
        items: readSource(
          s,
          {
            open: (seq) => deps.chunks.open(config.logBucket, chunkKey({ jobId: job.jobId, source: s.source, seq }, config.chunkPrefix)),
            onChunk,
            prefetch: config.prefetchChunks,
            startTime: Date.parse(job.startedAt),
          },
          resumed?.cursor[s.source] ?? undefined,
        ),
      })),
  );
  const text = new DownloadTextWriter(plan.sources.length, config.memberBytes + 64 * 1024);
  let lines = resumed?.lines ?? 0;
  let gaps = resumed?.gaps ?? 0;
  let membersWritten = 0;
  const members: Array<{ compressed: Promise<Buffer>; snapshot: Snapshot }> = [];

  const cut = async (): Promise<void> => {
    const body = text.take();
    // One output callback per member instead of one per 16 KiB (zlib's default chunk size).
    const compressed = gzipAsync(body, { level: config.gzipLevel, chunkSize: GZIP_CHUNK_BYTES });
    compressed.catch(() => undefined);
    members.push({ compressed, snapshot: { cursor: await merge.cursor(), lines, gaps } });
  };
  /** Writes the oldest member; returns where to continue from if the deadline says stop. */
  const drainOne = async (): Promise<Snapshot | undefined> => {
    const member = members.shift()!;
    const uploadedPart = await writer.write(await member.compressed);
    membersWritten++;
    return uploadedPart && deps.now() >= deadlineAt ? member.snapshot : undefined;
  };

  try {
    for (;;) {
      const next = merge.take();
      if (!next) {
        if (await merge.fill()) continue;
        break;
      }
      const { source, item } = next;
      if (item.kind === 'line') {
        text.line(source, item.line);
        lines++;
      } else {
        text.gap(source, item.gap);
        gaps++;
      }
      if (text.length < config.memberBytes) continue;
      await cut();
      while (members.length >= MEMBERS_IN_FLIGHT) {
        const stopAt = await drainOne();
        if (stopAt) return { kind: 'continued', continuation: continuation(stopAt, writer.checkpoint()!, owner, team, resumed) };
      }
    }
    if (text.length > 0 || (membersWritten === 0 && members.length === 0 && !resumed)) await cut();
    while (members.length > 0) await drainOne();
    const metadata: DownloadMetadata = {
      owner: owner ?? job.owner,
      team: team ?? job.team,
      lineCount: lines,
      gaps,
      missingChunks: plan.missingChunks,
      status: job.complete ? DownloadStatus.complete : DownloadStatus.partial,
      sources: plan.sources.length,
      chunks: plan.presentChunks,
    };
    await writer.finish(toS3Metadata(metadata), `attachment; filename="${downloadFileName(job.jobId)}"`);
    return { kind: 'assembled', key, metadata, invocations: resumed ? resumed.invocations : 1 };
  } finally {
    await merge.close();
  }
}

function continuation(
  at: Snapshot,
  upload: NonNullable<ReturnType<MultipartWriter['checkpoint']>>,
  owner: string | undefined,
  team: string | undefined,
  resumed: Continuation | undefined,
): Continuation {
  const c: Continuation = { upload, cursor: at.cursor, lines: at.lines, gaps: at.gaps, invocations: (resumed?.invocations ?? 1) + 1 };
  if (owner !== undefined) c.owner = owner;
  if (team !== undefined) c.team = team;
  return c;
}
