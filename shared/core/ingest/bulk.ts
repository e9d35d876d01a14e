import type { SerializedLine } from './ecs-document.js';

/** What a bulk action needs of a document: its id and its JSON. */
type BulkDocument = Pick<SerializedLine, 'id' | 'json'>;

/** One `create` action and its document, as the NDJSON bytes that go on the wire. */
export interface BulkItem {
  id: string;
  payload: Buffer;
}

/** A closed batch: its items and, ready to send, their bytes back to back. */
export interface BulkBatch {
  items: BulkItem[];
  bytes: number;
  body: Buffer;
}

export interface BulkLimits {
  maxActions: number;
  maxBytes: number;
}

/**
 * The two NDJSON lines of one document. `create` (not `index`) so that a line that is already
 * there is reported as 409 instead of being rewritten: with deterministic ids that is what makes
 * redelivery idempotent. https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
 *
 * @example
 * const toAction = bulkActionWriter(chunk.dataStream); // once per chunk
 * batcher.add(line.id, toAction(line));
 */
export function bulkActionWriter(dataStream: string): (line: BulkDocument) => string {
  const prefix = bulkActionPrefix(dataStream).toString('utf8');
  return (line) => `${prefix}${JSON.stringify(line.id)}${ACTION_END}${line.json.toString('utf8')}\n`;
}

/** The action line up to the document's `_id` (the same for every document of a chunk). */
export function bulkActionPrefix(dataStream: string): Buffer {
  return Buffer.from(`{"create":{"_index":${JSON.stringify(dataStream)},"_id":`, 'utf8');
}

const ACTION_END = '}}\n';

/** The body of a retry: the given items' bytes back to back. */
export function bulkBody(items: readonly BulkItem[]): Buffer {
  return Buffer.concat(items.map((i) => i.payload));
}

const INITIAL_CAPACITY = 64 * 1024;

/**
 * Groups actions into batches bounded by action count and bytes (a single oversized action goes
 * alone). Each action is UTF-8-encoded exactly once, straight into the batch's buffer: measuring,
 * joining and encoding strings separately was a third of the indexer's CPU.
 */
export class BulkBatcher {
  private buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private used = 0;
  private ids: string[] = [];
  private ends: number[] = [];

  constructor(private readonly limits: BulkLimits) {}

  /** Adds an action; returns the batch that had to be closed to make room, if any. */
  add(id: string, action: string): BulkBatch | undefined {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so a cheap bound usually avoids measuring.
    const bytes = this.used + action.length * 3 <= this.limits.maxBytes ? -1 : Buffer.byteLength(action);
    const closed = this.#makeRoom(bytes);
    this.reserve(bytes >= 0 ? bytes : action.length * 3);
    this.used += this.buffer.write(action, this.used, 'utf8');
    this.#added(id);
    return closed;
  }

  /**
   * Adds the action of a serialised document: `prefix` ({@link bulkActionPrefix}), its id, its
   * JSON — the same bytes as `add(id, bulkActionWriter(…)(line))`, copied without a string.
   */
  addDocument(prefix: Buffer, line: BulkDocument): BulkBatch | undefined {
    const id = isPlainId(line.id) ? line.id : undefined;
    const quoted = id === undefined ? Buffer.from(JSON.stringify(line.id), 'utf8') : undefined;
    const bytes = prefix.length + (quoted ? quoted.length : line.id.length + 2) + ACTION_END.length + line.json.length + 1;
    const closed = this.#makeRoom(bytes);
    this.reserve(bytes);
    const buf = this.buffer;
    buf.set(prefix, this.used);
    let o = this.used + prefix.length;
    if (quoted) {
      buf.set(quoted, o);
      o += quoted.length;
    } else {
      buf[o++] = 0x22;
      for (let i = 0; i < id!.length; i++) buf[o++] = id!.charCodeAt(i);
      buf[o++] = 0x22;
    }
    buf[o++] = 0x7d;
    buf[o++] = 0x7d;
    buf[o++] = 0x0a;
    buf.set(line.json, o);
    o += line.json.length;
    buf[o++] = 0x0a;
    this.used = o;
    this.#added(line.id);
    return closed;
  }

  /** Closes the open batch when an action of `bytes` (-1: surely fits the byte bound) would overflow it. */
  #makeRoom(bytes: number): BulkBatch | undefined {
    if (this.ids.length > 0 && (this.ids.length >= this.limits.maxActions || (bytes >= 0 && this.used + bytes > this.limits.maxBytes))) {
      return this.flush();
    }
    return undefined;
  }

  #added(id: string): void {
    this.ids.push(id);
    this.ends.push(this.used);
  }

  flush(): BulkBatch | undefined {
    if (this.ids.length === 0) return undefined;
    const body = this.buffer.subarray(0, this.used);
    const items = this.ids.map((id, k) => ({ id, payload: body.subarray(k === 0 ? 0 : this.ends[k - 1], this.ends[k]) }));
    const batch = { items, bytes: this.used, body };
    this.buffer = Buffer.allocUnsafe(Math.min(Math.max(INITIAL_CAPACITY, this.used), this.limits.maxBytes));
    this.used = 0;
    this.ids = [];
    this.ends = [];
    return batch;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.used + bytes, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}

/** Printable ASCII without `"` and `\\`: what JSON.stringify writes as is (every id {@link documentId} makes). */
function isPlainId(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
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
  /** Of `retry`, the items Elasticsearch answered 429 (it is pushing back). */
  throttled: number;
  rejected: Array<{ item: BulkItem; error: { type: string; reason: string; status: number } }>;
}

/** Pairs a bulk response's items with the batch that produced them. */
export function readBulkResults(batch: readonly BulkItem[], results: readonly BulkItemResult[]): BatchOutcome {
  const outcome: BatchOutcome = { indexed: 0, duplicates: 0, retry: [], throttled: 0, rejected: [] };
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
        if (result.status === 429) outcome.throttled++;
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
