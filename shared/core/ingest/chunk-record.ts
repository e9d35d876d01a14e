import type { ChunkContext } from './chunk-context.js';
import type { RecordedCounts } from './document-counts.js';
import type { ChunkProgress } from './ecs-document.js';

/** The data stream of chunk records: one document per indexed chunk (`docs/logs-api.md`, "Positions and order"). */
export function chunkRecordStream(stage: string): string {
  return `joblogs-chunks-${stage}`;
}

/** What the indexer knows about a chunk once it is done with it. */
export interface ChunkOutcome {
  /** Line positions in the chunk (empty lines included). */
  positions: number;
  documents: number;
  /** All its documents by level and stream (a resumed chunk's included: `documents` counts this invocation's). */
  counts?: RecordedCounts | undefined;
  progress: Readonly<ChunkProgress>;
  /** The permanent failure that ended it early (its documents up to there are indexed). */
  error?: string | undefined;
}

/**
 * The bulk action recording that a chunk is indexed — all of it, or all it will ever be. The logs
 * API reads these records: a source's lines are complete up to its first chunk without one, so a
 * live tail never runs past a chunk that is still being indexed (chunks are indexed in parallel
 * and in any order), and the summary knows each source's lines so far without counting them.
 * `create` with the chunk's id prefix as `_id`: a redelivered chunk records itself once.
 *
 * The counts by level and stream let the summary add up a job's records instead of aggregating
 * all its lines. They are left out of a chunk that ended in an error, where they might not match
 * the documents in the cluster (some may have been refused).
 */
export function chunkRecordAction(chunk: ChunkContext, outcome: ChunkOutcome, now: Date): string {
  const p = outcome.progress;
  const joblogs: Record<string, unknown> = {
    source: chunk.source,
    chunk_seq: chunk.seq,
    positions: outcome.positions,
    documents: outcome.documents,
  };
  if (p.firstLine !== undefined) joblogs['first_line'] = p.firstLine;
  if (p.lastLine !== undefined) joblogs['last_line'] = p.lastLine;
  if (p.capturedFrom !== undefined) joblogs['captured_from'] = p.capturedFrom;
  if (p.capturedTo !== undefined) joblogs['captured_to'] = p.capturedTo;
  if (chunk.final) joblogs['final'] = chunk.final;
  if (outcome.error) joblogs['error'] = outcome.error;
  else if (outcome.counts) joblogs['counts'] = outcome.counts;
  const doc = { '@timestamp': now.toISOString(), labels: { job_id: chunk.jobId }, joblogs };
  return `{"create":{"_index":${JSON.stringify(chunkRecordStream(chunk.stage))},"_id":${JSON.stringify(chunk.idPrefix)}}}\n${JSON.stringify(doc)}\n`;
}
