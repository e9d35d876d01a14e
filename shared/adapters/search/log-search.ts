import type { Client } from '@elastic/elasticsearch';
import { SearchUnavailableError } from '../../core/errors.js';
import type { Hit } from '../../core/logs/index.js';

export interface SearchAnswer {
  hits: Hit[];
  total: { value: number; relation: 'eq' | 'gte' } | undefined;
  aggregations: unknown;
}

/** The logs API's read side of the cluster: searches and counts of pre-built bodies, nothing else. */
export interface LogSearch {
  search(index: string, body: Record<string, unknown>): Promise<SearchAnswer>;
  count(index: string, query: Record<string, unknown>): Promise<number>;
}

/**
 * Searches with the client's transport (the bodies are built and validated by core/logs). A
 * missing data stream (a stage that has indexed nothing yet) answers empty, not 404; anything the
 * cluster could not do is transient (503 to the caller).
 */
export function esLogSearch(client: Client, o: { requestTimeoutMs: number }): LogSearch {
  const call = async <T>(path: string, body: Record<string, unknown>): Promise<T> => {
    try {
      return (await client.transport.request(
        { method: 'POST', path, body, querystring: { ignore_unavailable: true, allow_no_indices: true } },
        { requestTimeout: o.requestTimeoutMs, maxRetries: 1 },
      )) as T;
    } catch (error) {
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      throw new SearchUnavailableError(`Elasticsearch search failed${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`, { cause: error, details: { status } });
    }
  };
  return {
    async search(index, body) {
      const out = await call<{ hits?: { hits?: Hit[]; total?: { value: number; relation: 'eq' | 'gte' } }; aggregations?: unknown }>(`/${encodeURIComponent(index)}/_search`, body);
      return { hits: out.hits?.hits ?? [], total: out.hits?.total, aggregations: out.aggregations };
    },
    async count(index, query) {
      const out = await call<{ count?: number }>(`/${encodeURIComponent(index)}/_count`, { query });
      return out.count ?? 0;
    },
  };
}
