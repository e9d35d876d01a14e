/**
 * What the indexer writes for one chunk, network aside: every bulk body `ChunkBatcher` closes, back
 * to back, for a chunk's (gunzipped) bytes and metadata. Open events end with what the chunk has,
 * leading continuations are indexed here. Pure and deterministic (the chunk's time comes from its
 * metadata or `eventTime`), so a digest of the result pins the documents' exact bytes.
 *
 * @example
 * const body = chunkDocuments({ key: chunkKey({ jobId, source: 'main', seq: 0 }), bytes, metadata: {} });
 * createHash('sha256').update(body).digest('hex');
 */
import { ChunkBatcher, describeChunk, LineSplitter, type PositionedBatch } from '../shared/core/ingest/index.js';

export interface ChunkInput {
  key: string;
  /** The chunk's uncompressed bytes. */
  bytes: Buffer;
  metadata: Record<string, string>;
  grouping?: boolean;
  maxLineBytes?: number;
  /** Bytes per `LineSplitter.push` (a chunk arrives in reads of this size). */
  readBytes?: number;
}

const EVENT_TIME = '2026-11-25T10:05:00.000Z';
/** Small batches, so batch boundaries fall inside the inputs too. */
const LIMITS = { maxActions: 97, maxBytes: 64 * 1024 };

export function chunkDocuments(input: ChunkInput): Buffer {
  const chunk = describeChunk(
    { bucket: 'joblogs-golden', key: input.key, metadata: input.metadata, eventTime: EVENT_TIME },
    { stage: 'golden', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => Date.parse(EVENT_TIME) },
  );
  const grouping = { enabled: input.grouping ?? true, maxLines: 500, maxBytes: 1024 * 1024 };
  const batcher = new ChunkBatcher(chunk, LIMITS, 0, grouping);
  const splitter = new LineSplitter(input.maxLineBytes ?? 32 * 1024);
  const bodies: Buffer[] = [];
  const keep = (batches: readonly PositionedBatch[]) => {
    for (const { batch } of batches) bodies.push(batch.body);
  };
  const step = input.readBytes ?? 64 * 1024;
  for (let at = 0; at < input.bytes.length; at += step) {
    for (const line of splitter.push(input.bytes.subarray(at, at + step))) keep(batcher.add(line));
    for (const group of batcher.takeLeading()) keep(batcher.resolveLeading(group, false));
  }
  for (const line of splitter.end()) keep(batcher.add(line));
  const { batches, open } = batcher.end();
  keep(batches);
  for (const group of batcher.takeLeading()) keep(batcher.resolveLeading(group, false));
  for (const group of open) keep(batcher.completeOpen(group, undefined));
  const last = batcher.flush();
  if (last) bodies.push(last.batch.body);
  return Buffer.concat(bodies);
}
