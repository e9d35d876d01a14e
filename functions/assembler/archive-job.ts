import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { JobRecord } from '../../shared/adapters/s3/job-store.js';
import { UploadGoneError, type ObjectWriter } from '../../shared/adapters/s3/multipart-writer.js';
import {
  ARCHIVE_RESUME_VERSION,
  ArchiveBuilder,
  archiveKeys,
  ArchiveUnreadableError,
  parseArchiveResume,
  type ArchiveIndex,
  type ArchiveResume,
  type ChunkProgressFields,
  type PendingMember,
} from '../../shared/core/archive/index.js';
import { planAssembly, type ArchiveContinuation, type AssemblyPlan } from '../../shared/core/download/index.js';
import { dryIndexer, progressOf, type DocumentJson } from './archive-documents.js';
import { firstLane, SourceLane, type LanePosition } from './archive-lanes.js';
import type { AssemblerDeps } from './deps.js';
import { PartClock } from './part-clock.js';
import { stillRegistered } from './still-registered.js';

const gzipAsync = promisify(gzip);

export type ArchiveOutcome =
  | { kind: 'not-found' }
  | { kind: 'unregistered' }
  /** Archived only once every source is final: a running job's documents are still in the cluster. */
  | { kind: 'running' }
  | { kind: 'archived'; key: string; records: number; members: number; bytes: number; invocations: number }
  /** Stopped after a part before the deadline: the build goes on in another invocation from its saved state. */
  | { kind: 'continued'; continuation: ArchiveContinuation; records: number; parts: number }
  /** A continuation whose build another delivery already finished, or whose state another build has replaced. */
  | { kind: 'obsolete' }
  /** An `ifMissing` request for a job that has an archive, or whose build saved its state lately. */
  | { kind: 'underway' };

/** A build that saved no state for this long is taken as dead (3 × the assembler's 300 s timeout): an `ifMissing` request starts a new one. */
export const BUILD_UNDERWAY_MS = 15 * 60_000;

export interface ArchiveRequest {
  /** Go on with a build that stopped after a part. */
  continuation?: ArchiveContinuation | undefined;
  /** Build only if the job has no archive and no build of it is under way. */
  ifMissing?: boolean | undefined;
}

/**
 * Builds a finished job's archive (docs/archive.md): every document the indexer writes for its
 * chunks, in the merged order, as gzip members of NDJSON plus an index — what the logs API
 * answers from once the job's documents have aged out of the cluster. Deterministic: the same
 * chunks always give the same objects, so a repeated request rewrites the same bytes. A job too
 * big for one invocation stops after a part when the next one would not fit before the deadline,
 * leaves its state beside the archive and goes on from there in the next invocation
 * (`continuation`): part boundaries depend only on the content, so the result is the same bytes.
 */
export async function archiveJob(
  jobId: string,
  record: Pick<JobRecord, 'registration' | 'job'>,
  deps: AssemblerDeps,
  deadlineAt: number,
  { continuation, ifMissing }: ArchiveRequest = {},
): Promise<ArchiveOutcome> {
  const { registration, job } = record;
  if (!job) return { kind: 'not-found' };
  if (!registration) return { kind: 'unregistered' };
  if (!job.complete) return { kind: 'running' };
  if (ifMissing && !continuation && (await underway(jobId, deps))) return { kind: 'underway' };
  const resumed = continuation ? await readResume(jobId, continuation, deps) : undefined;
  if (continuation && !resumed) return { kind: 'obsolete' };
  const plan = planAssembly(job, await deps.listing.listJobChunks(jobId));
  const build = await ArchiveBuild.open(jobId, plan, deps, resumed);
  try {
    return await build.run(new PartClock(deps.now, deadlineAt, deps.config.deadlineHeadroomMs));
  } catch (error) {
    if (resumed && error instanceof UploadGoneError) return { kind: 'obsolete' };
    // A continuation's upload is left for the retry of its message, which goes on from the same state.
    if (!resumed) await build.abort();
    throw error;
  }
}

/** The job has an archive, or a build of it saved its state less than {@link BUILD_UNDERWAY_MS} ago (a state it cannot read is no build). */
async function underway(jobId: string, deps: AssemblerDeps): Promise<boolean> {
  if ((await deps.archives.readIndex(jobId)) !== undefined) return true;
  const text = await deps.archives.readResume(jobId);
  if (text === undefined) return false;
  try {
    return deps.now() - Date.parse(parseArchiveResume(text, jobId).savedAt) < BUILD_UNDERWAY_MS;
  } catch (error) {
    if (error instanceof ArchiveUnreadableError) return false;
    throw error;
  }
}

/** The state of a build that stopped, if it is the one `continuation` goes on with (same upload). */
async function readResume(jobId: string, continuation: ArchiveContinuation, deps: AssemblerDeps): Promise<ArchiveResume | undefined> {
  const text = await deps.archives.readResume(jobId);
  const state = text === undefined ? undefined : parseArchiveResume(text, jobId);
  return state?.upload.uploadId === continuation.uploadId ? state : undefined;
}

/** One invocation's part of an archive build: the sources' lanes, the index being built and the records file being written. */
class ArchiveBuild {
  readonly #jobId: string;
  readonly #deps: AssemblerDeps;
  readonly #lanes: SourceLane[];
  readonly #builder: ArchiveBuilder;
  readonly #writer: ObjectWriter;
  readonly #chunks: Map<string, ChunkProgressFields>;
  readonly #invocations: number;

  private constructor(
    jobId: string,
    deps: AssemblerDeps,
    parts: { lanes: SourceLane[]; chunks: Map<string, ChunkProgressFields>; resumed?: ArchiveResume | undefined },
  ) {
    const { resumed } = parts;
    const keys = archiveKeys(jobId, deps.config.downloadPrefix);
    this.#jobId = jobId;
    this.#deps = deps;
    this.#lanes = parts.lanes;
    this.#chunks = parts.chunks;
    this.#builder = resumed ? ArchiveBuilder.resume(resumed.index) : new ArchiveBuilder(jobId);
    this.#writer = resumed ? deps.downloads.resume(keys.records, 'application/gzip', resumed.upload) : deps.downloads.create(keys.records, 'application/gzip');
    this.#invocations = (resumed?.invocations ?? 0) + 1;
  }

  static async open(jobId: string, plan: AssemblyPlan, deps: AssemblerDeps, resumed: ArchiveResume | undefined): Promise<ArchiveBuild> {
    const read = dryIndexer({ config: deps.config, chunks: deps.chunks, now: deps.now });
    const chunks = new Map((resumed?.chunks ?? []).map((c) => [chunkId(c), c]));
    const onChunkRecord = (doc: DocumentJson) => {
      const fields = progressFields(doc);
      chunks.set(chunkId(fields), fields);
    };
    const lanes = await Promise.all(
      plan.sources.map((s) =>
        SourceLane.open(
          { source: s.source, seqs: s.present, read: (seq) => read(jobId, s.source, seq), onChunkRecord },
          resumed && (resumed.lanes[s.source] ?? null),
        ),
      ),
    );
    return new ArchiveBuild(jobId, deps, { lanes, chunks, resumed });
  }

  /** Merges the sources' documents into members until done, or until `clock` says stop after a part. */
  async run(clock: PartClock): Promise<ArchiveOutcome> {
    for (let lane = firstLane(this.#lanes); lane; lane = firstLane(this.#lanes)) {
      const record = lane.head()!;
      // Synchronous within a chunk: no await per document.
      const reading = lane.take();
      if (reading) await reading;
      const member = this.#builder.add(record);
      if (member && (await this.#place(member)) && clock.partDone()) return this.#stop();
      clock.checkHard(this.#jobId);
    }
    return this.#finish();
  }

  abort(): Promise<void> {
    return this.#writer.abort();
  }

  /** Compresses and writes a full member; true when that uploaded a part (nothing is buffered). */
  async #place(member: PendingMember): Promise<boolean> {
    const compressed = await gzipAsync(member.text, { level: this.#deps.config.gzipLevel });
    const uploaded = await this.#writer.write(compressed);
    this.#builder.placed(member, compressed.length);
    return uploaded;
  }

  async #finish(): Promise<ArchiveOutcome> {
    const last = this.#builder.flush();
    if (last) await this.#place(last);
    const index = this.#builder.index(progressOf([...this.#chunks.values()].map((joblogs) => ({ joblogs }))));
    if (index.bytes === 0) await this.#writer.write(Buffer.alloc(0));
    if (!(await stillRegistered(this.#jobId, this.#deps))) return this.#purged();
    await this.#writer.finish({ records: String(index.records) });
    const keys = archiveKeys(this.#jobId, this.#deps.config.downloadPrefix);
    await this.#writeJson(keys.index, index);
    return { kind: 'archived', key: keys.index, records: index.records, members: index.members.length, bytes: index.bytes, invocations: this.#invocations };
  }

  /** Leaves the state the next invocation goes on from: everything up to the part just uploaded. */
  async #stop(): Promise<ArchiveOutcome> {
    if (!(await stillRegistered(this.#jobId, this.#deps))) return this.#purged();
    const upload = this.#writer.checkpoint()!;
    const index: ArchiveIndex = this.#builder.index([]);
    const lanes: Record<string, LanePosition | null> = {};
    for (const lane of this.#lanes) lanes[lane.source] = lane.position();
    const state: ArchiveResume = {
      version: ARCHIVE_RESUME_VERSION,
      savedAt: new Date(this.#deps.now()).toISOString(),
      upload,
      index,
      lanes,
      chunks: [...this.#chunks.values()],
      invocations: this.#invocations,
    };
    await this.#writeJson(archiveKeys(this.#jobId, this.#deps.config.downloadPrefix).resume, state);
    return {
      kind: 'continued',
      continuation: { uploadId: upload.uploadId, invocation: this.#invocations + 1 },
      records: index.records,
      parts: upload.parts.length,
    };
  }

  /** The job was purged while this build ran: nothing of it may be written back. */
  async #purged(): Promise<ArchiveOutcome> {
    await this.#writer.abort();
    return { kind: 'unregistered' };
  }

  async #writeJson(key: string, value: unknown): Promise<void> {
    const writer = this.#deps.downloads.create(key, 'application/json');
    await writer.write(Buffer.from(JSON.stringify(value), 'utf8'));
    await writer.finish({});
  }
}

/** What the summary's progress needs of a chunk record (progressOf). */
function progressFields(doc: DocumentJson): ChunkProgressFields {
  const j = doc['joblogs'] ?? {};
  return {
    source: String(j['source'] ?? ''),
    chunk_seq: Number(j['chunk_seq']),
    ...(typeof j['last_line'] === 'number' ? { last_line: j['last_line'] } : {}),
    ...(typeof j['captured_to'] === 'number' ? { captured_to: j['captured_to'] } : {}),
  };
}

const chunkId = (c: ChunkProgressFields) => `${c.chunk_seq}/${c.source}`;
