import { COUNTED_STREAMS, RECORDED_LEVELS } from '../ingest/document-counts.js';
import type { SourceProgress } from './summary.js';

/** A job's documents by level (`none`: without one) and by stream, as its summary gives them. */
export interface JobCounts {
  levels: Record<string, number>;
  streams: Record<string, number>;
}

/** As many levels and streams as the summary lists (the most frequent first). */
export const SUMMARY_LEVELS = 32;
export const SUMMARY_STREAMS = 4;

/**
 * The aggregations over a job's chunk records that {@link recordedCounts} reads: how many records
 * there are, and the sums of the counts of those that carry them (chunk-record.ts).
 */
export function recordCountsAggregations(): Record<string, unknown> {
  const sum = (field: string) => ({ sum: { field } });
  return {
    records: { value_count: { field: 'joblogs.chunk_seq' } },
    counted: {
      filter: { exists: { field: 'joblogs.counts.documents' } },
      aggs: {
        other_levels: sum('joblogs.counts.other_levels'),
        ...Object.fromEntries(RECORDED_LEVELS.map((level) => [`level_${level}`, sum(`joblogs.counts.levels.${level}`)])),
        ...Object.fromEntries(COUNTED_STREAMS.map((stream) => [`stream_${stream}`, sum(`joblogs.counts.streams.${stream}`)])),
      },
    },
  };
}

interface CountAggregations {
  records?: { value?: number | null };
  counted?: { doc_count?: number } & Record<string, unknown>;
}

/**
 * The job's counts as its chunk records add up, where they say the same as the aggregation of its
 * lines would: every record carries counts (none written before records had them, none of a failed chunk),
 * no level outside the named ones, and every source's lines searchable up to its last record (a
 * running job whose frontier is held back would count fewer lines). Otherwise undefined: the
 * lines are aggregated (`levelsAggregation`, summary.ts).
 */
export function recordedCounts(aggregations: unknown, progress: readonly SourceProgress[]): JobCounts | undefined {
  const aggs = aggregations as CountAggregations | undefined;
  const counted = aggs?.counted;
  if (!counted || counted.doc_count === undefined || counted.doc_count !== (aggs?.records?.value ?? -1)) return undefined;
  const sum = (name: string) => Math.round((counted[name] as { value?: number | null } | undefined)?.value ?? 0);
  if (sum('other_levels') > 0) return undefined;
  if (progress.some((p) => p.frontier !== p.maxSeq)) return undefined;
  const nonZero = (names: readonly string[], prefix: string) =>
    Object.fromEntries(names.map((name) => [name, sum(`${prefix}${name}`)]).filter(([, n]) => (n as number) > 0));
  return {
    levels: topCounts(nonZero(RECORDED_LEVELS, 'level_'), SUMMARY_LEVELS),
    streams: topCounts(nonZero(COUNTED_STREAMS, 'stream_'), SUMMARY_STREAMS),
  };
}

/** The `n` largest counts, in the order a terms aggregation gives its buckets (count descending, then key). */
export function topCounts(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n),
  );
}
