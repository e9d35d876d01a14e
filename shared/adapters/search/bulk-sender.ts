import { SearchUnavailableError } from '../../core/errors.js';
import type { BulkItemResult } from '../../core/ingest/index.js';
import { errorReason, isOk, type ClusterTransport } from './transport.js';

/** Sends one NDJSON bulk body (already UTF-8 bytes) and returns one normalised result per action. */
export type BulkSender = (body: Buffer, options: { timeoutMs: number }) => Promise<BulkItemResult[]>;

interface BulkResponse {
  errors?: boolean;
  items?: Array<Record<string, { status: number; error?: { type?: string; reason?: string } }>>;
}

/** `_bulk` answers the same on every kind: per item `create` results, 409 for an id already there. */
export function clusterBulkSender(transport: ClusterTransport): BulkSender {
  return async (body, { timeoutMs }) => {
    const answer = await transport.request<BulkResponse>({
      method: 'POST',
      path: '/_bulk',
      body,
      // Only what we read: keeps responses small on large batches.
      query: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' },
      timeoutMs,
    });
    if (!isOk(answer)) {
      // 429 and 5xx on the whole request, and 401/403 while credentials rotate: all worth retrying.
      throw new SearchUnavailableError(`Cluster bulk request failed (HTTP ${answer.status}): ${errorReason(answer)}`, { details: { status: answer.status } });
    }
    return (answer.body.items ?? []).map((item) => {
      const result = Object.values(item)[0];
      if (!result) return { status: 503, error: { type: 'empty_item', reason: 'empty bulk item' } };
      return result.error
        ? { status: result.status, error: { type: result.error.type ?? 'unknown', reason: result.error.reason ?? '' } }
        : { status: result.status };
    });
  };
}
