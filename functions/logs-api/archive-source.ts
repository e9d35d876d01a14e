import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  ArchivePages,
  ArchiveUnreadableError,
  parseArchiveIndex,
  parseMember,
  type ArchiveIndex,
  type ArchiveMember,
  type ArchiveOrder,
  type ArchiveRecord,
} from '../../shared/core/archive/index.js';
import { compareKeys, type Frontier, type LineFilters, type LineOrder, type SeenCursor } from '../../shared/core/logs/index.js';
import { ArchivingProblem, ArchiveUnreadableProblem, LinesGoneError } from '../http/errors.js';
import type { LogsApiDeps } from './deps.js';

const gunzipAsync = promisify(gunzip);
/** How often one container asks the assembler again for the archive of a job that aged out without one. */
export const ARCHIVE_REQUEST_EVERY_MS = 10 * 60_000;
/** How soon a client asking for a job being archived should ask again. */
const ARCHIVING_RETRY_SECONDS = 10;
/** A member inflates to at most this (2 000 documents of at most ~1 MiB each would be far more; real ones are ~0.5 MiB). */
const MAX_MEMBER_BYTES = 256 * 1024 * 1024;

/** The archive index of a finished job (cached per container), or undefined when it has none. */
export async function findArchive(jobId: string, deps: LogsApiDeps): Promise<ArchiveIndex | undefined> {
  const cached = deps.archiveIndexes.get(jobId);
  if (cached) return cached;
  const text = await deps.archives.readIndex(jobId);
  if (text === undefined) return undefined;
  const index = unreadableAsProblem(() => parseArchiveIndex(text, jobId));
  deps.archiveIndexes.set(jobId, index);
  return index;
}

/** A job aged out before its archive was built: the assembler is asked for it, the caller gets 202 (docs/archive.md, "Before the archive exists"). */
export async function requestArchive(jobId: string, deps: LogsApiDeps): Promise<never> {
  if (!deps.assembly) throw new LinesGoneError('This job has finished, its lines have aged out of the search cluster and it has no archive');
  // Once per container and job for a while; `ifMissing`: the assembler drops it while a build of the job is under way.
  const last = deps.archiveRequests.get(jobId);
  if (last === undefined || deps.now() - last >= ARCHIVE_REQUEST_EVERY_MS) {
    await deps.assembly.send({ jobId, archive: true, ifMissing: true });
    deps.archiveRequests.set(jobId, deps.now());
    deps.logger.info({ jobId }, 'archive requested: the job aged out before its archive was built');
  }
  throw new ArchivingProblem('This job has finished and its lines are being archived; ask again shortly', ARCHIVING_RETRY_SECONDS);
}

/** The pages of an archive, each member read with one ranged GET (adjacent members in one). */
export function archivePages(index: ArchiveIndex, deps: LogsApiDeps): ArchivePages {
  return new ArchivePages(index, async (first, count) => {
    const members = index.members.slice(first, first + count);
    const start = members[0]!.offset;
    const end = members.at(-1)!.offset + members.at(-1)!.length;
    const bytes = await deps.archives.readRange(index.jobId, start, end - start).catch(rethrowAsProblem);
    return Promise.all(
      members.map(async (m) => {
        const text = await gunzipAsync(bytes.subarray(m.offset - start, m.offset - start + m.length), { maxOutputLength: MAX_MEMBER_BYTES }).catch(
          (cause: unknown) => {
            throw new ArchiveUnreadableProblem(`A member of job ${index.jobId}'s archive is not valid gzip`, { cause });
          },
        );
        return unreadableAsProblem(() => parseMember(text.toString('utf8'), index.jobId, m.count));
      }),
    );
  });
}

export function archiveOrder(order: LineOrder, filters: LineFilters): ArchiveOrder {
  return order === 'source' ? { kind: 'source', source: filters.sources![0]! } : { kind: 'merged' };
}

/** A running view's frontier, as the cluster's query applies it: only chunks up to each source's frontier. */
export function withinFrontier(frontier: Frontier | undefined): ((r: ArchiveRecord) => boolean) | undefined {
  if (!frontier) return undefined;
  return (r) => {
    const j = r.s['joblogs'] ?? {};
    const last = frontier.get(String(j['source'] ?? ''));
    return last !== undefined && typeof j['chunk_seq'] === 'number' && j['chunk_seq'] <= last;
  };
}

/** Whether a cursor has seen every line of a member (tail.ts): at or before its key, and no source past what it saw. */
export function memberSeen(cursor: SeenCursor, m: ArchiveMember): boolean {
  if (compareKeys(m.last, cursor.key) > 0) return false;
  return Object.entries(m.sources).every(([source, stats]) => {
    const upTo = cursor.seen[source];
    return upTo !== undefined && stats[2] <= upTo;
  });
}

function unreadableAsProblem<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    rethrowAsProblem(error);
  }
}

function rethrowAsProblem(error: unknown): never {
  if (error instanceof ArchiveUnreadableError) throw new ArchiveUnreadableProblem(error.message, { cause: error });
  throw error;
}
