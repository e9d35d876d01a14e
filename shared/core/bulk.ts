import type { IndexableLine } from './ecs-document.js';

/** One `create` action and its document, already serialised as two NDJSON lines. */
export interface BulkItem {
  id: string;
  payload: string;
  bytes: number;
}

export interface BulkBatch {
  items: BulkItem[];
  bytes: number;
}

export interface BulkLimits {
  maxActions: number;
  maxBytes: number;
}

/**
 * `create` (not `index`) so that a line that is already there is reported as 409 instead of being
 * rewritten: with deterministic ids that is what makes redelivery idempotent.
 * https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
 */
export function toBulkItem(dataStream: string, line: IndexableLine): BulkItem {
  const payload = `{"create":{"_index":${JSON.stringify(dataStream)},"_id":${JSON.stringify(line.id)}}}\n${JSON.stringify(line.document)}\n`;
  return { id: line.id, payload, bytes: Buffer.byteLength(payload) };
}

export function bulkBody(items: readonly BulkItem[]): string {
  return items.map((i) => i.payload).join('');
}

/** Groups items into batches bounded by action count and bytes (a single oversized item goes alone). */
export class BulkBatcher {
  private items: BulkItem[] = [];
  private bytes = 0;

  constructor(private readonly limits: BulkLimits) {}

  /** Adds an item; returns the batch that had to be closed to make room, if any. */
  add(item: BulkItem): BulkBatch | undefined {
    let closed: BulkBatch | undefined;
    if (this.items.length > 0 && (this.items.length >= this.limits.maxActions || this.bytes + item.bytes > this.limits.maxBytes)) {
      closed = this.flush();
    }
    this.items.push(item);
    this.bytes += item.bytes;
    return closed;
  }

  flush(): BulkBatch | undefined {
    if (this.items.length === 0) return undefined;
    const batch = { items: this.items, bytes: this.bytes };
    this.items = [];
    this.bytes = 0;
    return batch;
  }
}

/** One normalised shape for every bulk item outcome, whatever Elasticsearch said. */
export interface BulkItemResult {
  status: number;
  error?: { type: string; reason: string };
}

export type ItemOutcome = 'indexed' | 'duplicate' | 'retry' | 'rejected';

/**
 * 409 on `create` = the document is already there (a redelivery): success.
 * 400 = this document can never be indexed (mapping/parsing): permanent.
 * 429/5xx and anything else (closed or read-only index, missing shard): retry.
 */
export function classifyItem(result: BulkItemResult): ItemOutcome {
  if (result.status >= 200 && result.status < 300) return 'indexed';
  if (result.status === 409) return 'duplicate';
  if (result.status === 400) return 'rejected';
  return 'retry';
}

export interface BatchOutcome {
  indexed: number;
  duplicates: number;
  retry: BulkItem[];
  rejected: Array<{ item: BulkItem; error: { type: string; reason: string; status: number } }>;
}

/** Pairs a bulk response's items with the batch that produced them. */
export function readBulkResults(batch: readonly BulkItem[], results: readonly BulkItemResult[]): BatchOutcome {
  const outcome: BatchOutcome = { indexed: 0, duplicates: 0, retry: [], rejected: [] };
  batch.forEach((item, i) => {
    const result = results[i] ?? { status: 503, error: { type: 'missing_item', reason: 'no result for this item' } };
    switch (classifyItem(result)) {
      case 'indexed':
        outcome.indexed++;
        break;
      case 'duplicate':
        outcome.duplicates++;
        break;
      case 'retry':
        outcome.retry.push(item);
        break;
      case 'rejected':
        outcome.rejected.push({
          item,
          error: { status: result.status, type: result.error?.type ?? 'unknown', reason: result.error?.reason ?? '' },
        });
    }
  });
  return outcome;
}
