import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DeadlineError, describeError, DocumentsRejectedError, isPermanent, UnexpectedBucketError, type PermanentError } from '../../shared/core/errors.js';
import { deadLetterKey, deadLetterReport, MAX_REJECTED_IN_REPORT } from '../../shared/core/batch/index.js';
import { parseChunkNotification, type BatchOutcome, type CreatedObject } from '../../shared/core/ingest/index.js';
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

/**
 * Indexes every chunk named by a batch of SQS messages. Permanent failures are written to the
 * dead-letter path and acknowledged; transient ones (and whatever the deadline cut short) are
 * returned as `batchItemFailures`, so SQS redelivers exactly those messages.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function indexBatch(
  event: SQSEvent,
  deps: IndexerDeps,
  deadlineAt: number,
): Promise<{ response: SQSBatchResponse; stats: BatchStats }> {
  const stats: BatchStats = {
    ...emptyStats(),
    records: event.Records.length,
    objects: 0,
    testEvents: 0,
    ignoredEvents: 0,
    deadLettered: 0,
    failed: 0,
  };
  const failures: string[] = [];
  await forEachLimited(event.Records, deps.config.bulk.concurrency, async (record) => {
    try {
      await indexRecord(record, deps, deadlineAt, stats);
    } catch (error) {
      stats.failed++;
      failures.push(record.messageId);
      deps.logger.warn({ messageId: record.messageId, error: describeError(error) }, 'record will be retried');
    }
  });
  return { response: { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) }, stats };
}

async function indexRecord(record: SQSRecord, deps: IndexerDeps, deadlineAt: number, stats: BatchStats): Promise<void> {
  if (deps.now() >= deadlineAt) throw new DeadlineError('Deadline reached before the record was started');
  let objects: CreatedObject[];
  try {
    const notification = parseChunkNotification(record.body);
    if (notification.kind === 'test') {
      stats.testEvents++;
      return;
    }
    stats.ignoredEvents += notification.ignored;
    objects = notification.objects;
  } catch (error) {
    if (!isPermanent(error)) throw error;
    return deadLetter(error, { messageId: record.messageId }, deps, stats);
  }
  for (const object of objects) {
    stats.objects++;
    try {
      if (object.bucket !== deps.config.logBucket) {
        throw new UnexpectedBucketError(`Event names bucket ${object.bucket}, this indexer reads ${deps.config.logBucket}`);
      }
      // Only a redelivered message can have a checkpoint to resume from: no extra S3 read otherwise.
      await indexChunk(object, deps, deadlineAt, stats, { redelivery: Number(record.attributes?.ApproximateReceiveCount ?? 1) > 1 });
    } catch (error) {
      if (!isPermanent(error)) throw error;
      await deadLetter(error, { messageId: record.messageId, bucket: object.bucket, key: object.key }, deps, stats);
    }
  }
}

async function deadLetter(
  error: PermanentError,
  where: { messageId: string; bucket?: string; key?: string },
  deps: IndexerDeps,
  stats: BatchStats,
): Promise<void> {
  const report = deadLetterReport(error, where, new Date(deps.now()));
  if (error instanceof DocumentsRejectedError) {
    const rejected = (error.details['rejected'] ?? []) as BatchOutcome['rejected'];
    report.details = {};
    report.rejectedCount = rejected.length;
    report.rejected = rejected.slice(0, MAX_REJECTED_IN_REPORT).map(({ item, error: e }) => ({
      id: item.id,
      status: e.status,
      type: e.type,
      reason: e.reason,
      document: JSON.parse(item.payload.subarray(item.payload.indexOf(0x0a) + 1).toString('utf8')),
    }));
  }
  const key = deadLetterKey(deps.config.deadLetterPrefix, report);
  await deps.chunks.writeDeadLetter(deps.config.logBucket, key, report);
  stats.deadLettered++;
  deps.logger.error(
    { messageId: where.messageId, key: where.key, code: report.code, reason: report.reason, deadLetter: key },
    'permanent failure sent to the dead-letter path',
  );
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
