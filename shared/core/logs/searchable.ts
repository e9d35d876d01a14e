import type { SourceProgress } from './summary.js';

/**
 * A chunk's record is written once its lines are indexed, but it lives in its own data stream,
 * refreshed apart from the lines': a record can be searchable a moment before the lines it stands
 * for. A frontier read from the records alone could let a tail pass a chunk whose lines are not
 * yet searchable (chunk 7 recorded and its lines hidden, chunk 8's lines shown: the cursor moves
 * past chunk 7's lines for good). So the lines of recently recorded chunks are counted, and a
 * source's frontier stops before the first of them with fewer searchable lines than its record says.
 *
 * A record's lines are searchable within a refresh or two (1 s each; a loaded cluster's refreshes
 * lag, so a wide margin): records older than this are taken as searchable — or aged out, which the
 * archive answers for (docs/archive.md).
 */
export const SEARCHABLE_WITHIN_MS = 5 * 60_000;

/** At most this many recent chunks per source are checked (the newest: the older ones have had the longest to refresh). */
export const RECENT_CHUNKS_CHECKED = 1000;

/** A chunk recorded recently and cleanly, and the documents its record says it wrote. */
export interface RecordedChunk {
  seq: number;
  documents: number;
}

/**
 * The sub-aggregation of a source's chunk records that {@link recentChunks} reads: records written
 * since `since` (epoch ms) without an error. A chunk with refused documents is left out: its record
 * counts documents the cluster never took, so its lines would never all be searchable.
 */
export function recentRecordsAggregation(since: number): Record<string, unknown> {
  return {
    filter: {
      bool: {
        filter: [{ range: { '@timestamp': { gte: since, format: 'epoch_millis' } } }],
        must_not: [{ exists: { field: 'joblogs.error' } }],
      },
    },
    aggs: {
      chunks: {
        terms: { field: 'joblogs.chunk_seq', size: RECENT_CHUNKS_CHECKED, order: { _key: 'desc' } },
        aggs: { documents: { max: { field: 'joblogs.documents' } } },
      },
    },
  };
}

interface RecentBucket {
  key: string;
  recent?: { chunks?: { buckets?: Array<{ key: number; documents?: { value: number | null } }> } };
}

/** Per source, its recent clean chunks (ascending) as {@link recentRecordsAggregation} found them under `sources`. */
export function recentChunks(aggregations: unknown): Map<string, RecordedChunk[]> {
  const buckets = (aggregations as { sources?: { buckets?: RecentBucket[] } } | undefined)?.sources?.buckets ?? [];
  return new Map(
    buckets.map((b) => [
      b.key,
      (b.recent?.chunks?.buckets ?? []).map((c) => ({ seq: Number(c.key), documents: c.documents?.value ?? 0 })).sort((x, y) => x.seq - y.seq),
    ]),
  );
}

/** The recent chunks that matter: those a source's frontier would let through (seq ≤ frontier). */
export function chunksToCheck(progress: readonly SourceProgress[], recent: ReadonlyMap<string, readonly RecordedChunk[]>): Map<string, RecordedChunk[]> {
  const checks = new Map<string, RecordedChunk[]>();
  for (const p of progress) {
    const within = (recent.get(p.source) ?? []).filter((c) => c.seq <= p.frontier);
    if (within.length > 0) checks.set(p.source, within);
  }
  return checks;
}

/** One search over the lines: per source and chunk, how many of the checked chunks' documents are searchable. */
export function searchableLinesAggregation(jobId: string, checks: ReadonlyMap<string, readonly RecordedChunk[]>): Record<string, unknown> {
  const should = [...checks].map(([source, chunks]) => ({
    bool: { filter: [{ term: { 'joblogs.source': source } }, { terms: { 'joblogs.chunk_seq': chunks.map((c) => c.seq) } }] },
  }));
  const most = Math.max(1, ...[...checks.values()].map((c) => c.length));
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { bool: { should, minimum_should_match: 1 } }] } },
    aggs: {
      sources: {
        terms: { field: 'joblogs.source', size: Math.max(1, checks.size) },
        aggs: { chunks: { terms: { field: 'joblogs.chunk_seq', size: most } } },
      },
    },
  };
}

/**
 * Each source's progress with its frontier stopped before the first checked chunk (all within the
 * frontier: {@link chunksToCheck}) whose lines are not all searchable yet (`aggregations`: the answer to {@link searchableLinesAggregation}). A
 * chunk resumed after a timeout records only what its last invocation wrote, so more searchable
 * documents than recorded is fine.
 */
export function searchableFrontier(
  progress: readonly SourceProgress[],
  checks: ReadonlyMap<string, readonly RecordedChunk[]>,
  aggregations: unknown,
): SourceProgress[] {
  const seen = searchableCounts(aggregations);
  return progress.map((p) => {
    const hidden = checks.get(p.source)?.find((c) => (seen.get(p.source)?.get(c.seq) ?? 0) < c.documents);
    return hidden ? { ...p, frontier: hidden.seq - 1 } : p;
  });
}

type CountBuckets = { buckets?: Array<{ key: string | number; doc_count: number }> };

function searchableCounts(aggregations: unknown): Map<string, Map<number, number>> {
  const sources = (aggregations as { sources?: { buckets?: Array<{ key: string; chunks?: CountBuckets }> } } | undefined)?.sources?.buckets ?? [];
  return new Map(sources.map((s) => [s.key, new Map((s.chunks?.buckets ?? []).map((c) => [Number(c.key), c.doc_count]))]));
}
