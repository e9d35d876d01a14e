import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { JobRecord } from '../../shared/adapters/s3/job-store.js';
import { ArchiveBuilder, archiveKeys, compareKeys, keyOf, type ArchiveIndex, type ArchiveRecord } from '../../shared/core/archive/index.js';
import { planAssembly, type SourcePlan } from '../../shared/core/download/index.js';
import { DeadlineError } from '../../shared/core/errors.js';
import { dryIndexer, progressOf, type ChunkDocuments, type DocumentJson } from './archive-documents.js';
import type { AssemblerDeps } from './deps.js';

const gzipAsync = promisify(gzip);
const MERGED = { kind: 'merged' } as const;

export type ArchiveOutcome =
  | { kind: 'not-found' }
  | { kind: 'unregistered' }
  /** Archived only once every source is final: a running job's documents are still in the cluster. */
  | { kind: 'running' }
  | { kind: 'archived'; key: string; records: number; members: number; bytes: number };

/**
 * Builds a finished job's archive (docs/archive.md): every document the indexer writes for its
 * chunks, in the merged order, as gzip members of NDJSON plus an index — what the logs API
 * answers from once the job's documents have aged out of the cluster. Deterministic: the same
 * chunks always give the same objects, so a repeated request rewrites the same bytes.
 */
export async function archiveJob(
  jobId: string,
  record: Pick<JobRecord, 'registration' | 'job'>,
  deps: AssemblerDeps,
  deadlineAt: number,
): Promise<ArchiveOutcome> {
  const { registration, job } = record;
  if (!job) return { kind: 'not-found' };
  if (!registration) return { kind: 'unregistered' };
  if (!job.complete) return { kind: 'running' };
  const plan = planAssembly(job, await deps.listing.listJobChunks(jobId));
  const keys = archiveKeys(jobId, deps.config.downloadPrefix);
  const read = dryIndexer({ config: deps.config, chunks: deps.chunks, now: deps.now });
  const chunkRecords: Array<DocumentJson> = [];
  const lanes = plan.sources.map((s) => sourceDocuments(s, (seq) => read(jobId, s.source, seq), chunkRecords));
  const builder = new ArchiveBuilder(jobId);
  const writer = deps.downloads.create(keys.records, 'application/gzip');
  const place = async (member: ReturnType<ArchiveBuilder['flush']>) => {
    if (!member) return;
    const compressed = await gzipAsync(member.text, { level: deps.config.gzipLevel });
    await writer.write(compressed);
    builder.placed(member, compressed.length);
  };
  try {
    for await (const record of mergeLanes(lanes)) {
      await place(builder.add(record));
      if (deps.now() >= deadlineAt) throw new DeadlineError(`Deadline reached while archiving job ${jobId}`);
    }
    await place(builder.flush());
    const index = builder.index(progressOf(chunkRecords));
    if (index.bytes === 0) await writer.write(Buffer.alloc(0));
    await writer.finish({ records: String(index.records) });
    await writeIndex(keys.index, index, deps);
    return { kind: 'archived', key: keys.index, records: index.records, members: index.members.length, bytes: index.bytes };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function writeIndex(key: string, index: ArchiveIndex, deps: AssemblerDeps): Promise<void> {
  const writer = deps.downloads.create(key, 'application/json');
  await writer.write(Buffer.from(JSON.stringify(index), 'utf8'));
  await writer.finish({});
}

/** One source's documents, chunk after chunk, each chunk's sorted; its chunk records are collected on the way. */
async function* sourceDocuments(
  plan: SourcePlan,
  read: (seq: number) => Promise<ChunkDocuments>,
  chunkRecords: Array<DocumentJson>,
): AsyncGenerator<ArchiveRecord[]> {
  // The next chunk is read while this one's documents are merged.
  let next = plan.present.length > 0 ? read(plan.present[0]!) : undefined;
  for (let i = 0; i < plan.present.length; i++) {
    const current = await next!;
    next = i + 1 < plan.present.length ? read(plan.present[i + 1]!) : undefined;
    next?.catch(() => undefined);
    if (current.chunkRecord) chunkRecords.push(current.chunkRecord);
    if (current.records.length > 0) yield current.records;
  }
}

/** The sources' documents interleaved in the merged order (capture time, source, sequence). */
async function* mergeLanes(lanes: Array<AsyncGenerator<ArchiveRecord[]>>): AsyncGenerator<ArchiveRecord> {
  const heads = await Promise.all(lanes.map(async (lane) => ({ lane, items: (await lane.next()).value ?? [], at: 0 })));
  for (;;) {
    let best: (typeof heads)[number] | undefined;
    for (const h of heads) {
      if (h.at >= h.items.length) continue;
      if (!best || compareKeys(keyOf(h.items[h.at]!, MERGED), keyOf(best.items[best.at]!, MERGED)) < 0) best = h;
    }
    if (!best) return;
    yield best.items[best.at++]!;
    if (best.at >= best.items.length) {
      const more = await best.lane.next();
      best.items = more.done ? [] : more.value;
      best.at = 0;
    }
  }
}
