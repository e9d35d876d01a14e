import { isValidJobId } from '../contract/chunk-key.js';
import { JobMarkerError, PermanentError } from '../errors.js';
import type { ErrorPosition, SourceProgress } from '../logs/summary.js';
import * as z from '../zod.js';

/**
 * A job's archive (docs/archive.md): the lines the logs API serves once a job's documents have
 * aged out of the cluster, kept beside its download file.
 * - `downloads/<jobId>.archive.gz`: gzip members, each the NDJSON of up to
 *   {@link RECORDS_PER_MEMBER} records (`{"i": <document id>, "s": <document source>}`) in the
 *   merged order — exactly the documents the indexer writes (events, collapsed bars, levels, JSON
 *   messages), built by the assembler with the indexer's own code;
 * - `downloads/<jobId>.archive.json`: the index — per member its byte range, first and last
 *   cursor key and counts per source, stream and level (what a page or a filter needs to find its
 *   members with ranged reads), and the job's summary (per-source progress, counts, error positions).
 */
export const ARCHIVE_VERSION = 1;
export const RECORDS_PER_MEMBER = 2000;
/** Error positions kept in the summary (the logs API lists at most this many). */
export const MAX_ERROR_POSITIONS = 1000;
/** Elasticsearch counts matches up to this many (`track_total_hits`); beyond, the total is a lower bound. */
export const TOTAL_HITS_BOUND = 10_000;

/**
 * The archive's objects; `resume` is where a build that stopped at a part boundary leaves what the
 * next invocation needs to go on (its upload, the index so far, each source's position).
 */
export function archiveKeys(jobId: string, prefix = 'downloads/'): { records: string; index: string; resume: string } {
  if (!isValidJobId(jobId)) throw new JobMarkerError(`Invalid job id ${JSON.stringify(jobId)}`);
  return { records: `${prefix}${jobId}.archive.gz`, index: `${prefix}${jobId}.archive.json`, resume: `${prefix}${jobId}.archive.resume.json` };
}

/** A job's archive cannot be read: its index or a member is not what the assembler writes. */
export class ArchiveUnreadableError extends PermanentError {
  readonly code = 'ARCHIVE_UNREADABLE';
}

/** One archived document: its id and the `_source` fields the logs API reads. */
export interface ArchiveRecord {
  i: string;
  // biome-ignore lint/suspicious/noExplicitAny: a document's source, read field by field as a hit's
  s: Record<string, any>;
}

const count = z.int().check(z.minimum(0));
const MergedKey = z.tuple([count, z.string(), count]);
/** Per source in a member: `[records, min seq, max seq, min line, max last line]` (lines -1 when none). */
const SourceStats = z.tuple([count, count, count, z.int(), z.int()]);
const Member = z.object({
  offset: count,
  length: z.int().check(z.minimum(1)),
  count: z.int().check(z.minimum(1)),
  first: MergedKey,
  last: MergedKey,
  sources: z.record(z.string(), SourceStats),
  streams: z.record(z.string(), count),
  levels: z.record(z.string(), count),
});
const Progress = z.object({
  source: z.string(),
  chunks: count,
  maxSeq: z.int(),
  frontier: z.int(),
  lines: count,
  lastCaptured: z.optional(z.number()),
});
const Position = z.object({
  cursor: z.string(),
  source: z.string(),
  line: z.nullable(z.int()),
  seq: count,
  time: z.string(),
  captured: z.optional(z.string()),
  stream: z.optional(z.string()),
  level: z.optional(z.nullable(z.string())),
});
/** An archive index as the assembler writes it (also the index so far of a build that continues). */
export const ArchiveIndexSchema = z.object({
  version: z.literal(ARCHIVE_VERSION),
  jobId: z.string(),
  records: count,
  bytes: count,
  members: z.array(Member),
  progress: z.array(Progress),
  levels: z.record(z.string(), count),
  streams: z.record(z.string(), count),
  errors: z.object({ count, positions: z.array(Position) }),
});

export type ArchiveMember = z.infer<typeof Member>;
export interface ArchiveIndex {
  version: typeof ARCHIVE_VERSION;
  jobId: string;
  /** Documents archived. */
  records: number;
  /** Bytes of the records file. */
  bytes: number;
  members: ArchiveMember[];
  progress: SourceProgress[];
  levels: Record<string, number>;
  streams: Record<string, number>;
  /** Error-level documents: how many, and the first {@link MAX_ERROR_POSITIONS} in merged order. */
  errors: { count: number; positions: ErrorPosition[] };
}

/** Reads an index the assembler wrote; anything else is an {@link ArchiveUnreadableError} naming what is wrong. */
export function parseArchiveIndex(text: string, jobId: string): ArchiveIndex {
  return checkIndex(parseArchiveJson(ArchiveIndexSchema, text, `The archive index of job ${jobId}`) as ArchiveIndex, jobId);
}

/** `text` as JSON that `schema` accepts, or an {@link ArchiveUnreadableError} saying what `what` is not. */
export function parseArchiveJson<T>(schema: z.ZodMiniType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ArchiveUnreadableError(`${what} is not JSON`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ArchiveUnreadableError(`${what} is invalid: ${problems.join('; ')}`, { details: { problems } });
  }
  return parsed.data;
}

/** An index of this job whose members follow each other and cover its records file. */
export function checkIndex(index: ArchiveIndex, jobId: string): ArchiveIndex {
  if (index.jobId !== jobId) throw new ArchiveUnreadableError(`The archive index names job ${index.jobId}, not ${jobId}`);
  let end = 0;
  for (const m of index.members) {
    if (m.offset !== end) throw new ArchiveUnreadableError(`The archive index of job ${jobId} has members that do not follow each other`);
    end = m.offset + m.length;
  }
  if (end !== index.bytes) throw new ArchiveUnreadableError(`The archive index of job ${jobId} does not cover its records file`);
  return index;
}

/** A member's NDJSON, gunzipped: its records, or an {@link ArchiveUnreadableError}. */
export function parseMember(text: string, jobId: string, expected: number): ArchiveRecord[] {
  const records: ArchiveRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (cause) {
      throw new ArchiveUnreadableError(`A member of job ${jobId}'s archive holds a line that is not JSON`, { cause });
    }
    const r = record as Partial<ArchiveRecord> | null;
    if (!r || typeof r.i !== 'string' || typeof r.s !== 'object' || r.s === null)
      throw new ArchiveUnreadableError(`A member of job ${jobId}'s archive holds a line that is not a record`);
    records.push(r as ArchiveRecord);
  }
  if (records.length !== expected)
    throw new ArchiveUnreadableError(`A member of job ${jobId}'s archive holds ${records.length} records, its index says ${expected}`);
  return records;
}
