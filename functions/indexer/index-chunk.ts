import type { OpenedChunk } from '../../shared/adapters/s3/chunk-store.js';
import { MAX_REJECTED_IN_REPORT, type Slots } from '../../shared/core/batch/index.js';
import { gunzipChunk, parseChunkKey, type TraceIds } from '../../shared/core/contract/index.js';
import {
  DeadlineError,
  describeError,
  DocumentsRejectedError,
  isPermanent,
  NeighbourMissingError,
  NeighbourNeverCameError,
  SearchUnavailableError,
} from '../../shared/core/errors.js';
import {
  ChunkBatcher,
  chunkRecordAction,
  describeChunk,
  LineSplitter,
  type ChunkContext,
  type CreatedObject,
  type PositionedBatch,
} from '../../shared/core/ingest/index.js';
import { startTrace, withTrace, type TraceContext } from '../../shared/trace/index.js';
import { BulkWindow } from './bulk-window.js';
import { chunkCheckpoints } from './checkpoints.js';
import { chunkNeighbours, type Neighbours } from './neighbours.js';
import { chunkDefaults } from './chunk-defaults.js';
import type { IndexerDeps } from './deps.js';
import { sendBatch, type RejectedItems } from './send-batch.js';

/** Counters of one chunk; summed into the invocation's log line. */
export interface ChunkStats {
  lines: number;
  /** Bytes of log read (uncompressed). */
  bytes: number;
  indexed: number;
  duplicates: number;
  retried: number;
  /** Of `retried`, items Elasticsearch answered 429. */
  throttled: number;
  rejected: number;
  /** Per chunk done with: now − the chunk's start (ms), the freshness of what was indexed. */
  lagMs: number[];
}

export function emptyStats(): ChunkStats {
  return { lines: 0, bytes: 0, indexed: 0, duplicates: 0, retried: 0, throttled: 0, rejected: 0, lagMs: [] };
}

/** What indexing one chunk needs besides the chunk: the invocation it runs in. */
export interface ChunkRun {
  deps: IndexerDeps;
  deadlineAt: number;
  /** The invocation's bound on `_bulk` requests in flight, shared by all its chunks. */
  slots: Slots;
  /** The invocation's counters; this chunk's are added to them. */
  stats: ChunkStats;
  /** A redelivered message: look for a checkpoint of an earlier stop. */
  redelivery: boolean;
  /** The message's last receive before the chunk DLQ: a neighbour that still is not there is reported, not waited for. */
  lastAttempt?: boolean;
}

/**
 * Streams one chunk from S3 into Elasticsearch: gunzip → lines → ECS documents → bounded bulk
 * batches with per-item retries until the deadline, in the chunk's own trace.
 *
 * Resolves when every line is indexed or already there. Throws a permanent error (after indexing
 * every good line) when the chunk is bad or documents were refused, a transient one otherwise.
 */
export async function indexChunk(object: CreatedObject, run: ChunkRun): Promise<void> {
  const { config } = run.deps;
  // A key outside the layout is refused before any S3 read.
  parseChunkKey(object.key, config.chunkPrefix);
  const opened = await run.deps.chunks.open(object.bucket, object.key);
  const chunk = describeChunk(
    { bucket: object.bucket, key: object.key, metadata: opened.metadata, eventTime: object.eventTime },
    chunkDefaults(config, run.deps.now),
  );
  const span = chunkSpan(chunk.trace);
  const index = () => indexAndLog(chunk, opened, object, run);
  return span ? withTrace(span, index) : index();
}

/** The indexer's span for one chunk, in the chunk's trace: its log line is found with the job's lines. */
function chunkSpan(trace: TraceIds | undefined): TraceContext | undefined {
  if (!trace) return undefined;
  return { ...startTrace(), traceId: trace.traceId, ...(trace.spanId ? { parentSpanId: trace.spanId } : {}) };
}

/** One log line per chunk, in the chunk's trace, with its own counts (the batch line sums them). */
async function indexAndLog(chunk: ChunkContext, opened: OpenedChunk, object: CreatedObject, run: ChunkRun): Promise<void> {
  const { deps } = run;
  const stats = emptyStats();
  const where = { key: object.key, jobId: chunk.jobId, source: chunk.source, seq: chunk.seq };
  const checkpoints = chunkCheckpoints(object, opened, deps);
  const resumeAt = run.redelivery ? await checkpoints.read() : 0;
  const resumed = resumeAt > 0 ? { resumedAt: resumeAt } : {};
  const window = new BulkWindow({ start: resumeAt, slots: run.slots, send: (batch) => sendBatch(batch, { deps, deadlineAt: run.deadlineAt, stats }) });
  const batcher = new ChunkBatcher(chunk, deps.config.bulk, resumeAt, deps.config.grouping);
  const grouped = () => ({ ...batcher.grouped, ...(chunk.multiline.refused ? { refusedPattern: chunk.multiline.refused } : {}) });
  try {
    await streamChunk({ chunk, opened, object, window, run, stats }, batcher);
    await recordChunk(chunk, batcher, run);
    stats.lagMs.push(Math.max(0, deps.now() - chunk.chunkTime.ms));
    deps.logger.info({ ...where, ...stats, ...grouped(), ...resumed }, 'chunk indexed');
  } catch (error) {
    // A bad chunk is done with (what it held up to there is indexed): recorded, so a tail moves past it.
    if (isPermanent(error)) await recordChunk(chunk, batcher, run, describeError(error).code);
    // Stopped short (deadline, Elasticsearch away): keep how far it got, so the redelivery goes on from there.
    const checkpoint = !isPermanent(error) && window.confirmed > resumeAt ? await checkpoints.save(window.confirmed) : undefined;
    deps.logger.warn(
      { ...where, ...stats, ...grouped(), ...resumed, ...(checkpoint !== undefined ? { checkpoint } : {}), error: describeError(error) },
      'chunk not fully indexed',
    );
    throw error;
  } finally {
    addStats(run.stats, stats);
  }
}

interface ChunkStream {
  chunk: ChunkContext;
  opened: OpenedChunk;
  object: CreatedObject;
  window: BulkWindow;
  run: ChunkRun;
  stats: ChunkStats;
}

/**
 * Reads the chunk into the window. Good lines read before a corrupt tail are still indexed. An
 * event that crosses into a neighbouring chunk that is not there yet holds back only its own
 * lines: everything else is indexed, then the record goes back to SQS (or, on its last receive,
 * the event is indexed with what it has and the chunk is reported).
 */
async function streamChunk(s: ChunkStream, batcher: ChunkBatcher): Promise<void> {
  const neighbours = chunkNeighbours(s.chunk, s.run);
  let readFailure: unknown;
  try {
    await readLines(s, batcher, neighbours);
  } catch (error) {
    readFailure = error;
  } finally {
    s.opened.body.destroy();
  }
  // A transient read error gives up now; after a permanent one, what was read is still sent.
  if (readFailure === undefined || isPermanent(readFailure)) {
    await closeGroups(s, batcher, neighbours, readFailure === undefined).catch((error: unknown) => s.window.fail(error));
    await s.window.submit(batcher.flush()).catch((error: unknown) => s.window.fail(error));
  }
  s.stats.lines += batcher.documents;
  await s.window.drain();
  if (readFailure !== undefined) throw readFailure;
  if (s.window.rejected.length > 0) throw documentsRejected(s.object.key, s.window.rejected);
  if (neighbours.missing.length > 0) throw neighbourMissing(s, neighbours.missing);
}

async function readLines(s: ChunkStream, batcher: ChunkBatcher, neighbours: Neighbours): Promise<void> {
  const { deps, deadlineAt } = s.run;
  const splitter = new LineSplitter(deps.config.maxLineBytes);
  for await (const buf of gunzipChunk(s.opened.body, deps.config.maxChunkBytes)) {
    s.stats.bytes += buf.length;
    for (const line of splitter.push(buf)) {
      const closed = batcher.add(line);
      // Most lines close no batch: no await (and no microtask) for them.
      if (closed.length > 0) await submitAll(s.window, closed);
    }
    await settleLeading(s, batcher, neighbours);
    if (deps.now() >= deadlineAt) throw new DeadlineError(`Deadline reached while reading ${s.object.key}`);
  }
  for (const line of splitter.end()) await submitAll(s.window, batcher.add(line));
}

/**
 * The end of the chunk: held groups go out, and events the chunk lists as open are completed
 * from the next chunk (`complete`: read it; after a bad tail the events end where the chunk did).
 */
async function closeGroups(s: ChunkStream, batcher: ChunkBatcher, neighbours: Neighbours, complete: boolean): Promise<void> {
  const { batches, open } = batcher.end();
  await submitAll(s.window, batches);
  await settleLeading(s, batcher, neighbours);
  if (open.length === 0) return;
  const continuations = complete ? await neighbours.continuations(open.map((g) => g.lane)) : new Map();
  // The next chunk is not there: keep the events for the redelivery, unless this is the last one.
  if (continuations === undefined && !s.run.lastAttempt) return;
  for (const group of open) await submitAll(s.window, batcher.completeOpen(group, continuations?.get(group.lane)));
}

/** Lines continuing an event of the previous chunk: skipped when that chunk takes them, else indexed here. */
async function settleLeading(s: ChunkStream, batcher: ChunkBatcher, neighbours: Neighbours): Promise<void> {
  for (const group of batcher.takeLeading()) {
    const takes = await neighbours.previousTakes(group.lane);
    // The previous chunk is not there: the lines stay held (unconfirmed) for the redelivery, unless this is the last one.
    if (takes === undefined && !s.run.lastAttempt) continue;
    await submitAll(s.window, batcher.resolveLeading(group, takes === true));
  }
}

async function submitAll(window: BulkWindow, batches: readonly PositionedBatch[]): Promise<void> {
  for (const batch of batches) await window.submit(batch);
}

function neighbourMissing(s: ChunkStream, keys: readonly string[]): Error {
  const message = `An event of ${s.object.key} crosses into ${keys.join(', ')}, which is not in S3`;
  const details = { key: s.object.key, neighbours: [...keys] };
  return s.run.lastAttempt
    ? new NeighbourNeverCameError(`${message} after the last retry: indexed without it`, { details })
    : new NeighbourMissingError(`${message} yet: retried`, { details });
}

/**
 * Records that the chunk is indexed (the logs API's tail and summary read these records). Only
 * after every batch is confirmed, so a record never stands for lines that are not searchable.
 * A resumed chunk counts what this invocation wrote; its positions and line range are the whole chunk's.
 */
async function recordChunk(chunk: ChunkContext, batcher: ChunkBatcher, run: ChunkRun, error?: string): Promise<void> {
  const { deps } = run;
  const action = chunkRecordAction(
    chunk,
    { positions: batcher.positions, documents: batcher.documents, counts: batcher.counts, progress: batcher.progress, error },
    new Date(deps.now()),
  );
  await run.slots.acquire();
  const [result] = await deps
    .sendBulk(Buffer.from(action), { timeoutMs: Math.min(deps.config.cluster.requestTimeoutMs, Math.max(1, run.deadlineAt - deps.now())) })
    .finally(() => run.slots.release());
  if (!result || (result.status >= 300 && result.status !== 409)) {
    throw new SearchUnavailableError(`Elasticsearch did not record chunk ${chunk.key}: ${result?.error?.type ?? 'no answer'}`);
  }
}

/** The refused documents as the dead-letter report shows them (each parsed back from its bulk line). */
function documentsRejected(key: string, rejected: RejectedItems): DocumentsRejectedError {
  return new DocumentsRejectedError(`Elasticsearch rejected ${rejected.length} document(s) of ${key}`, {
    rejectedCount: rejected.length,
    rejected: rejected.slice(0, MAX_REJECTED_IN_REPORT).map(({ item, error }) => ({
      id: item.id,
      status: error.status,
      type: error.type,
      reason: error.reason,
      document: JSON.parse(item.payload.subarray(item.payload.indexOf(0x0a) + 1).toString('utf8')) as unknown,
    })),
  });
}

function addStats(into: ChunkStats, from: ChunkStats): void {
  into.lines += from.lines;
  into.bytes += from.bytes;
  into.indexed += from.indexed;
  into.duplicates += from.duplicates;
  into.retried += from.retried;
  into.throttled += from.throttled;
  into.rejected += from.rejected;
  into.lagMs.push(...from.lagMs);
}
