import { backoffDelay } from '../../shared/core/batch/index.js';
import { DeadlineError, isPermanent } from '../../shared/core/errors.js';
import { bulkBody, readBulkResults, type BatchOutcome, type BulkBatch } from '../../shared/core/ingest/index.js';
import type { IndexerDeps } from './deps.js';
import type { ChunkStats } from './index-chunk.js';

export type RejectedItems = BatchOutcome['rejected'];

/**
 * Sends one bulk batch until every item is indexed, already there, or refused: items answered
 * 429/5xx (or the whole request failing) are sent again after a jittered backoff, as long as the
 * deadline allows. Resolves with the items Elasticsearch refused for good.
 */
export async function sendBatch(batch: BulkBatch, o: { deps: IndexerDeps; deadlineAt: number; stats: ChunkStats }): Promise<RejectedItems> {
  const { deps, deadlineAt, stats } = o;
  const rejected: RejectedItems = [];
  let pending = batch.items;
  let body = batch.body;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineAt - deps.now();
    if (remaining <= 0) throw new DeadlineError('Deadline reached before the bulk request could be sent');
    let lastError: unknown;
    try {
      const outcome = readBulkResults(pending, await deps.sendBulk(body, { timeoutMs: Math.min(deps.config.cluster.requestTimeoutMs, remaining) }));
      count(stats, outcome);
      rejected.push(...outcome.rejected);
      if (outcome.retry.length === 0) return rejected;
      pending = outcome.retry;
      body = bulkBody(pending);
    } catch (error) {
      if (isPermanent(error)) throw error;
      lastError = error;
      // The whole request refused with 429: every item in it was pushed back.
      if ((error as { details?: { status?: unknown } }).details?.status === 429) stats.throttled += pending.length;
    }
    stats.retried += pending.length;
    await backOff(attempt, pending.length, lastError, o);
  }
}

function count(stats: ChunkStats, outcome: BatchOutcome): void {
  stats.indexed += outcome.indexed;
  stats.duplicates += outcome.duplicates;
  stats.throttled += outcome.throttled;
  stats.rejected += outcome.rejected.length;
}

async function backOff(attempt: number, pending: number, lastError: unknown, o: { deps: IndexerDeps; deadlineAt: number }): Promise<void> {
  const delay = backoffDelay(attempt, o.deps.config.retry, o.deps.random);
  if (o.deps.now() + delay >= o.deadlineAt) {
    throw new DeadlineError(`Deadline reached with ${pending} document(s) not yet indexed`, { cause: lastError, details: { pending } });
  }
  await o.deps.sleep(delay);
}
