import type { Client } from '@elastic/elasticsearch';
import { SearchUnavailableError } from '../../core/errors.js';
import { type BulkItemResult } from '../../core/ingest/index.js';

/** Sends one NDJSON bulk body (already UTF-8 bytes) and returns one normalised result per action. */
export type BulkSender = (body: Buffer, options: { timeoutMs: number }) => Promise<BulkItemResult[]>;

interface BulkResponse {
  errors?: boolean;
  items?: Array<Record<string, { status: number; error?: { type?: string; reason?: string } }>>;
}

export function esBulkSender(client: Client): BulkSender {
  return async (body, { timeoutMs }) => {
    let response: BulkResponse;
    try {
      response = (await client.transport.request(
        {
          method: 'POST',
          path: '/_bulk',
          bulkBody: body,
          // Only what we read: keeps responses small on large batches.
          querystring: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' },
        },
        { requestTimeout: timeoutMs, maxRetries: 0 },
      )) as BulkResponse;
    } catch (error) {
      // Connection refused/reset, timeouts, 429 and 5xx on the whole request: all worth retrying.
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      throw new SearchUnavailableError(`Elasticsearch bulk request failed${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`, {
        cause: error,
        details: { status },
      });
    }
    return (response.items ?? []).map((item) => {
      const result = Object.values(item)[0];
      if (!result) return { status: 503, error: { type: 'empty_item', reason: 'empty bulk item' } };
      return result.error
        ? { status: result.status, error: { type: result.error.type ?? 'unknown', reason: result.error.reason ?? '' } }
        : { status: result.status };
    });
  };
}
