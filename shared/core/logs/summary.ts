import type { JobMarker, JobRegistration, JobSummary } from '../contract/index.js';
import { NO_LEVEL } from '../ingest/document-counts.js';
import type { ApiLine, Frontier } from './query.js';
import { recordCountsAggregations, SUMMARY_LEVELS, SUMMARY_STREAMS } from './counts.js';
import { recentRecordsAggregation } from './searchable.js';

/** Per source, what its chunk records say: how far it is contiguous, and its lines and time so far. */
export interface SourceProgress {
  source: string;
  /** Chunk records present (one per indexed chunk). */
  chunks: number;
  maxSeq: number;
  /** The last chunk up to which every chunk is recorded (-1: not even chunk 0). */
  frontier: number;
  /** Line number after the last line recorded (dense numbering of framed chunks). */
  lines: number;
  lastCaptured: number | undefined;
  /** The earliest capture time of its recorded chunks (what a backward page's window is measured from). */
  firstCaptured?: number | undefined;
}

/**
 * The aggregation over a job's chunk records that {@link sourceProgress} reads, per source the
 * chunks recorded since `recentSince` (epoch ms) that `recentChunks` reads (searchable.ts), and
 * the sums of their counts that `recordedCounts` reads (counts.ts).
 */
export function chunkRecordsAggregation(jobId: string, recentSince: number): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: false,
    query: { term: { 'labels.job_id': jobId } },
    aggs: {
      sources: {
        terms: { field: 'joblogs.source', size: 1024 },
        aggs: {
          max_seq: { max: { field: 'joblogs.chunk_seq' } },
          last_line: { max: { field: 'joblogs.last_line' } },
          last_captured: { max: { field: 'joblogs.captured_to' } },
          first_captured: { min: { field: 'joblogs.captured_from' } },
          recent: recentRecordsAggregation(recentSince),
        },
      },
      ...recordCountsAggregations(),
    },
  };
}

interface Bucket {
  key: string;
  doc_count: number;
  max_seq?: { value: number | null };
  last_line?: { value: number | null };
  last_captured?: { value: number | null };
  first_captured?: { value: number | null };
}

/** Each source's progress; `frontier` assumes contiguity (checked by the caller when chunks ≠ maxSeq + 1). */
export function sourceProgress(aggregations: unknown): SourceProgress[] {
  const buckets = ((aggregations as { sources?: { buckets?: Bucket[] } } | undefined)?.sources?.buckets ?? []) as Bucket[];
  return buckets.map((b) => {
    const maxSeq = b.max_seq?.value ?? -1;
    return {
      source: b.key,
      chunks: b.doc_count,
      maxSeq,
      frontier: b.doc_count === maxSeq + 1 ? maxSeq : -1,
      lines: b.last_line?.value != null ? b.last_line.value + 1 : 0,
      lastCaptured: b.last_captured?.value ?? undefined,
      firstCaptured: b.first_captured?.value ?? undefined,
    };
  });
}

/**
 * The first chunk seq missing from `0…max`, given how many records there are up to a seq: a
 * binary search of count queries (records are unique per seq), so a 10 000-chunk job costs ~14.
 */
export async function firstMissingSeq(max: number, countUpTo: (seq: number) => Promise<number>): Promise<number> {
  let lo = 0;
  let hi = max + 1;
  // Invariant: every seq < lo is present; some seq < hi is missing (or hi = max + 1).
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await countUpTo(mid)) === mid + 1) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The frontier the tail uses while a job runs: per source, the last chunk with every earlier one indexed. */
export function frontierOf(progress: readonly SourceProgress[]): Frontier {
  return new Map(progress.map((p) => [p.source, p.frontier]));
}

/** True when every source is final and every chunk up to its last is indexed: no frontier needed. */
export function fullyIndexed(job: JobSummary | undefined, progress: readonly SourceProgress[]): boolean {
  if (!job?.complete) return false;
  const bySource = new Map(progress.map((p) => [p.source, p]));
  return job.sources.every((m) => m.lastSeq !== undefined && (bySource.get(m.source)?.frontier ?? -1) >= m.lastSeq);
}

/** `GET /jobs/{jobId}` (docs/logs-api.md). */
export interface JobOverview {
  jobId: string;
  owner: string;
  team: string | null;
  labels: Record<string, string>;
  status: 'running' | 'complete';
  exitCode: number | null;
  signal: string | null;
  startedAt: string | null;
  endedAt: string | null;
  lineCount: number;
  sources: Array<{
    source: string;
    status: 'running' | 'final' | 'pending';
    lines: number;
    exitCode: number | null;
    signal: string | null;
    lastTime: string | null;
  }>;
  levels: Record<string, number>;
  /** Lines per stream (`stdout`, `stderr`). */
  streams: Record<string, number>;
  errors: { total: number; totalExact: boolean; first: ErrorPosition | null; positions: ErrorPosition[] };
  links: { download: string; lines: string; search: string };
}

export interface ErrorPosition {
  cursor: string;
  source: string;
  line: number | null;
  seq: number;
  time: string;
  /**
   * Where the line is beside the cursor, so a client can tell whether its filters show it and open
   * it under them (`at=` the capture time). Absent from the positions of archives written before
   * these fields were added.
   */
  captured?: string;
  stream?: string;
  level?: string | null;
}

/** An error-level line as the summary lists it (a merged-order cursor and where the line is). */
export function errorPosition(line: ApiLine): ErrorPosition {
  const { cursor, source, line: n, seq, time, captured, stream, level } = line;
  return { cursor, source, line: n, seq, time, captured, stream, level };
}

/**
 * The summary from the registration (who), the markers (exit), the chunk records (lines so far)
 * and the job's view (`status`: complete once every source finished and every line it printed is
 * searchable — the same status every lines answer gives, so a reader can rely on it).
 */
export function jobOverview(o: {
  registration: JobRegistration;
  job: JobSummary | undefined;
  status: 'running' | 'complete';
  progress: readonly SourceProgress[];
  levels: Record<string, number>;
  streams: Record<string, number>;
  errors: JobOverview['errors'];
}): JobOverview {
  const { registration, job } = o;
  const markers = new Map((job?.sources ?? []).map((m) => [m.source, m]));
  const names = [...new Set([...markers.keys(), ...o.progress.map((p) => p.source)])].sort();
  const progress = new Map(o.progress.map((p) => [p.source, p]));
  const sources = names.map((source) => sourceLine(source, markers.get(source), progress.get(source)));
  const exit = exitOf(job);
  const base = `/jobs/${registration.jobId}`;
  return {
    jobId: registration.jobId,
    owner: registration.owner,
    team: registration.team ?? null,
    labels: registration.labels ?? {},
    status: o.status,
    exitCode: exit.exitCode,
    signal: exit.signal,
    startedAt: job?.startedAt ?? null,
    endedAt: job?.endedAt ?? null,
    lineCount: sources.reduce((n, s) => n + s.lines, 0),
    sources,
    levels: o.levels,
    streams: o.streams,
    errors: o.errors,
    links: { download: `${base}/logs`, lines: `${base}/lines`, search: `${base}/search` },
  };
}

function sourceLine(source: string, marker: JobMarker | undefined, p: SourceProgress | undefined): JobOverview['sources'][number] {
  return {
    source,
    status: marker?.status ?? 'pending',
    // A final source's count is its own word; a running one's is what is indexed so far.
    lines: marker?.status === 'final' && marker.lineCount !== undefined ? marker.lineCount : (p?.lines ?? 0),
    exitCode: marker?.exitCode ?? null,
    signal: marker?.signal ?? null,
    lastTime: p?.lastCaptured !== undefined ? new Date(p.lastCaptured).toISOString() : null,
  };
}

/** The job's exit: the first failing source's, else 0 once every source is final. */
function exitOf(job: JobSummary | undefined): { exitCode: number | null; signal: string | null } {
  if (!job?.complete) return { exitCode: null, signal: null };
  const failed = job.sources.find((m) => m.signal !== undefined || (m.exitCode !== undefined && m.exitCode !== 0));
  if (failed) return { exitCode: failed.exitCode ?? null, signal: failed.signal ?? null };
  return { exitCode: job.sources.every((m) => m.exitCode === 0) ? 0 : null, signal: null };
}

/** Counts by level and by stream over a job's lines (`none`: lines without a level), where its chunk records cannot say them. */
export function levelsAggregation(scopeFilter: object[]): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: scopeFilter } },
    aggs: {
      levels: { terms: { field: 'log.level', size: SUMMARY_LEVELS, missing: NO_LEVEL } },
      streams: { terms: { field: 'joblogs.stream', size: SUMMARY_STREAMS } },
    },
  };
}

/** Counts of one terms aggregation of {@link levelsAggregation} (`levels` or `streams`). */
export function termCounts(aggregations: unknown, name: 'levels' | 'streams'): Record<string, number> {
  const buckets = (aggregations as Record<string, { buckets?: Array<{ key: string; doc_count: number }> }> | undefined)?.[name]?.buckets ?? [];
  return Object.fromEntries(buckets.map((b) => [b.key, b.doc_count]));
}
