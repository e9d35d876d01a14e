import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BatchSettlement, Slots } from '../../shared/core/batch/index.js';
import { DeadlineError, UnexpectedBucketError } from '../../shared/core/errors.js';
import { parseChunkKey } from '../../shared/core/contract/index.js';
import { parseChunkNotification, type CreatedObject } from '../../shared/core/ingest/index.js';
import type { IndexerDeps } from './deps.js';
import { emptyStats, indexChunk, type ChunkStats } from './index-chunk.js';

/** The invocation's one log line. */
export interface BatchStats extends ChunkStats {
  records: number;
  objects: number;
  testEvents: number;
  ignoredEvents: number;
  deadLettered: number;
  failed: number;
}

/** One invocation's shared state: its deadline, its bound on `_bulk` requests, its settlement and counts. */
interface Invocation {
  deps: IndexerDeps;
  deadlineAt: number;
  slots: Slots;
  batch: BatchSettlement;
  stats: BatchStats;
}

/**
 * Indexes every chunk named by a batch of SQS messages, `RECORD_CONCURRENCY` records at a time and
 * never more than `BULK_CONCURRENCY` `_bulk` requests in flight in all. Settled by the one rule
 * ({@link BatchSettlement}): permanent failures are dead-lettered and acknowledged (the other
 * chunks of the message still proceed), transient ones and whatever the deadline cut short go
 * back to SQS as `batchItemFailures`.
 */
export async function indexBatch(event: SQSEvent, deps: IndexerDeps, deadlineAt: number): Promise<{ response: SQSBatchResponse; stats: BatchStats }> {
  const stats: BatchStats = { ...emptyStats(), records: event.Records.length, objects: 0, testEvents: 0, ignoredEvents: 0, deadLettered: 0, failed: 0 };
  const batch = new BatchSettlement({ deadLetters: deps.deadLetters, log: deps.logger, now: deps.now });
  const run: Invocation = { deps, deadlineAt, slots: new Slots(deps.config.bulk.concurrency), batch, stats };
  await forEachLimited(event.Records, deps.config.recordConcurrency, (record) => indexRecord(record, run));
  stats.deadLettered = batch.deadLettered;
  stats.failed = batch.failed;
  return { response: batch.response(), stats };
}

async function indexRecord(record: SQSRecord, run: Invocation): Promise<void> {
  const messageIds = [record.messageId];
  let objects: CreatedObject[] = [];
  const readable = await run.batch.settle({ messageIds }, async () => {
    if (run.deps.now() >= run.deadlineAt) throw new DeadlineError('Deadline reached before the record was started');
    objects = objectsOf(record, run.stats);
  });
  // Only a redelivered message can have a checkpoint to resume from: no extra S3 read otherwise.
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  const redelivery = receives > 1;
  const lastAttempt = receives >= run.deps.config.maxReceiveCount;
  for (const object of readable ? objects : []) {
    // After a transient failure the whole message comes back: its other chunks are done then.
    if (run.batch.willRetry(record.messageId)) return;
    run.stats.objects++;
    await run.batch.settle({ messageIds, bucket: object.bucket, key: object.key, jobId: jobOf(object.key, run.deps.config.chunkPrefix) }, () => {
      if (object.bucket !== run.deps.config.logBucket) {
        throw new UnexpectedBucketError(`Event names bucket ${object.bucket}, this indexer reads ${run.deps.config.logBucket}`);
      }
      return indexChunk(object, { ...run, stats: run.stats, redelivery, lastAttempt });
    });
  }
}

/** The job a chunk key names, for its dead-letter report (filed under the job); undefined for a key outside the layout. */
function jobOf(key: string, chunkPrefix: string): string | undefined {
  try {
    return parseChunkKey(key, chunkPrefix).jobId;
  } catch {
    return undefined;
  }
}

function objectsOf(record: SQSRecord, stats: BatchStats): CreatedObject[] {
  const notification = parseChunkNotification(record.body);
  if (notification.kind === 'test') {
    stats.testEvents++;
    return [];
  }
  stats.ignoredEvents += notification.ignored;
  return notification.objects;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
