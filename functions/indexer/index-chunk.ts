import { backoffDelay } from '../../shared/core/batch/index.js';
import { BulkBatcher, bulkBody, describeChunk, LineSplitter, readBulkResults, bulkActionWriter, EcsDocumentWriter, checkpointKey, ConfirmedPrefix, parseCheckpoint, type IndexCheckpoint, type BatchOutcome, type BulkBatch, type ChunkContext, type CreatedObject, type RawLine } from '../../shared/core/ingest/index.js';
import { DeadlineError, DocumentsRejectedError, isPermanent, TooManyLinesError, describeError } from '../../shared/core/errors.js';
import { gunzipChunk, parseChunkKey, SEQUENCE_STRIDE, type TraceIds } from '../../shared/core/contract/index.js';
import { startTrace, withTrace, type TraceContext } from '../../shared/trace/index.js';
import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';
import type { IndexerDeps } from './deps.js';

/** Counters of one chunk; summed into the invocation's log line. */
export interface ChunkStats {
  lines: number;
  indexed: number;
  duplicates: number;
  retried: number;
  rejected: number;
}

export function emptyStats(): ChunkStats {
  return { lines: 0, indexed: 0, duplicates: 0, retried: 0, rejected: 0 };
}

function addStats(into: ChunkStats, from: ChunkStats): void {
  into.lines += from.lines;
  into.indexed += from.indexed;
  into.duplicates += from.duplicates;
  into.retried += from.retried;
  into.rejected += from.rejected;
}

/** The indexer's span for one chunk, in the chunk's trace: its log line is found with the job's lines. */
function chunkSpan(trace: TraceIds | undefined): TraceContext | undefined {
  if (!trace) return undefined;
  return { ...startTrace(), traceId: trace.traceId, ...(trace.spanId ? { parentSpanId: trace.spanId } : {}) };
}

/**
 * Streams one chunk from S3 into Elasticsearch: gunzip → lines → ECS documents → bounded bulk
 * batches (a few in flight) with per-item retries until `deadlineAt`.
 *
 * Resolves when every line is indexed or already there. Throws a permanent error (after indexing
 * every good line) when the chunk is bad or documents were refused, a transient one otherwise.
 */
export async function indexChunk(
  object: CreatedObject,
  deps: IndexerDeps,
  deadlineAt: number,
  stats: ChunkStats,
  options: { redelivery?: boolean } = {},
): Promise<void> {
  const { config } = deps;
  // A key outside the layout is refused before any S3 read.
  parseChunkKey(object.key, config.chunkPrefix);
  const opened = await deps.chunks.open(object.bucket, object.key);
  const chunk = describeChunk(
    { bucket: object.bucket, key: object.key, metadata: opened.metadata, eventTime: object.eventTime },
    { stage: config.stage, defaultDataset: config.defaultDataset, chunkPrefix: config.chunkPrefix, now: deps.now },
  );
  const span = chunkSpan(chunk.trace);
  const index = () => indexAndLog(chunk, opened, object, deps, deadlineAt, stats, options.redelivery === true);
  return span ? withTrace(span, index) : index();
}

/** One log line per chunk, in the chunk's trace, with its own counts (the batch line sums them). */
async function indexAndLog(
  chunk: ChunkContext,
  opened: OpenedChunk,
  object: CreatedObject,
  deps: IndexerDeps,
  deadlineAt: number,
  batchStats: ChunkStats,
  redelivery: boolean,
): Promise<void> {
  const stats = emptyStats();
  const where = { key: object.key, jobId: chunk.jobId, source: chunk.source, seq: chunk.seq };
  const resumeAt = redelivery ? await readResumePosition(object, opened, deps) : 0;
  const confirmed = new ConfirmedPrefix(resumeAt);
  try {
    await streamChunk(chunk, opened, object, deps, deadlineAt, stats, confirmed);
    deps.logger.info({ ...where, ...stats, ...(resumeAt > 0 ? { resumedAt: resumeAt } : {}) }, 'chunk indexed');
  } catch (error) {
    // Stopped short (deadline, Elasticsearch away): keep how far it got, so the redelivery goes on from there.
    const checkpoint = !isPermanent(error) && confirmed.position > resumeAt ? await saveResumePosition(object, opened, deps, confirmed.position) : undefined;
    deps.logger.warn({ ...where, ...stats, ...(resumeAt > 0 ? { resumedAt: resumeAt } : {}), ...(checkpoint !== undefined ? { checkpoint } : {}), error: describeError(error) }, 'chunk not fully indexed');
    throw error;
  } finally {
    addStats(batchStats, stats);
  }
}

async function readResumePosition(object: CreatedObject, opened: OpenedChunk, deps: IndexerDeps): Promise<number> {
  const key = checkpointKey(deps.config.checkpointPrefix, object.bucket, object.key);
  const text = await deps.chunks.readCheckpoint(object.bucket, key);
  return (text && parseCheckpoint(text, { bucket: object.bucket, key: object.key, etag: opened.etag })?.position) || 0;
}

/** Returns the position saved, or undefined when it could not be (a lost checkpoint only costs work). */
async function saveResumePosition(object: CreatedObject, opened: OpenedChunk, deps: IndexerDeps, position: number): Promise<number | undefined> {
  if (!opened.etag) return undefined;
  const key = checkpointKey(deps.config.checkpointPrefix, object.bucket, object.key);
  const checkpoint: IndexCheckpoint = { version: 1, bucket: object.bucket, key: object.key, etag: opened.etag, position, at: new Date(deps.now()).toISOString() };
  return (await deps.chunks.writeCheckpoint(object.bucket, key, checkpoint)) ? position : undefined;
}

async function streamChunk(
  chunk: ChunkContext,
  opened: OpenedChunk,
  object: CreatedObject,
  deps: IndexerDeps,
  deadlineAt: number,
  stats: ChunkStats,
  confirmed: ConfirmedPrefix,
): Promise<void> {
  const { config } = deps;
  const resumeAt = confirmed.position;
  /** Where the open batch starts: each batch covers the line positions from one cut to the next. */
  let cut = resumeAt;
  const writer = new EcsDocumentWriter(chunk);
  const toAction = bulkActionWriter(chunk.dataStream);
  const splitter = new LineSplitter(config.maxLineBytes);
  const batcher = new BulkBatcher(config.bulk);
  const rejected: BatchOutcome['rejected'] = [];
  const inFlight = new Set<Promise<void>>();
  let sendFailure: unknown;

  const submit = async (batch: BulkBatch | undefined, end: number): Promise<void> => {
    if (!batch) return;
    const start = cut;
    cut = end;
    while (inFlight.size >= config.bulk.concurrency) await Promise.race(inFlight);
    if (sendFailure) throw sendFailure;
    confirmed.sent(start, end);
    const rejectedBefore = rejected.length;
    const sending: Promise<void> = sendBatch(batch, deps, deadlineAt, stats, rejected).then(
      () => {
        inFlight.delete(sending);
        confirmed.done(start, rejected.length === rejectedBefore);
      },
      (error: unknown) => {
        inFlight.delete(sending);
        sendFailure ??= error;
      },
    );
    inFlight.add(sending);
  };

  let lastPosition = resumeAt - 1;
  const addLines = async (lines: Iterable<RawLine>): Promise<void> => {
    for (const line of lines) {
      lastPosition = line.position;
      if (line.position < resumeAt) continue;
      if (line.position >= SEQUENCE_STRIDE) {
        throw new TooManyLinesError(`Chunk has more than ${SEQUENCE_STRIDE} lines; the rest is not indexed`, {
          details: { key: object.key },
        });
      }
      const doc = writer.write(line);
      if (!doc) continue;
      stats.lines++;
      const closed = batcher.add(doc.id, toAction(doc));
      if (closed) await submit(closed, line.position);
    }
  };

  let readFailure: unknown;
  try {
    for await (const buf of gunzipChunk(opened.body)) {
      await addLines(splitter.push(buf));
      if (deps.now() >= deadlineAt) throw new DeadlineError(`Deadline reached while reading ${object.key}`);
    }
    await addLines(splitter.end());
  } catch (error) {
    readFailure = error;
  } finally {
    opened.body.destroy();
  }
  // Good lines read before a corrupt tail are still indexed; a transient read error gives up now.
  if (readFailure === undefined || isPermanent(readFailure)) {
    await submit(batcher.flush(), lastPosition + 1).catch((error: unknown) => (sendFailure ??= error));
  }
  await Promise.all(inFlight);
  if (sendFailure) throw sendFailure;
  if (readFailure) throw readFailure;
  if (rejected.length > 0) {
    throw new DocumentsRejectedError(`Elasticsearch rejected ${rejected.length} document(s) of ${object.key}`, {
      details: { rejected },
    });
  }
}

async function sendBatch(
  batch: BulkBatch,
  deps: IndexerDeps,
  deadlineAt: number,
  stats: ChunkStats,
  rejected: BatchOutcome['rejected'],
): Promise<void> {
  let pending = batch.items;
  let body = batch.body;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineAt - deps.now();
    if (remaining <= 0) throw new DeadlineError('Deadline reached before the bulk request could be sent');
    let lastError: unknown;
    try {
      const results = await deps.sendBulk(body, {
        timeoutMs: Math.min(deps.config.esRequestTimeoutMs, remaining),
      });
      const outcome = readBulkResults(pending, results);
      stats.indexed += outcome.indexed;
      stats.duplicates += outcome.duplicates;
      stats.rejected += outcome.rejected.length;
      rejected.push(...outcome.rejected);
      if (outcome.retry.length === 0) return;
      pending = outcome.retry;
      body = bulkBody(pending);
    } catch (error) {
      if (isPermanent(error)) throw error;
      lastError = error;
    }
    stats.retried += pending.length;
    const delay = backoffDelay(attempt, deps.config.retry, deps.random);
    if (deps.now() + delay >= deadlineAt) {
      throw new DeadlineError(`Deadline reached with ${pending.length} document(s) not yet indexed`, {
        cause: lastError,
        details: { pending: pending.length },
      });
    }
    await deps.sleep(delay);
  }
}
