import { setTimeout as delay } from 'node:timers/promises';
import { searchBodyFor, type ClusterKind } from '../../core/cluster/index.js';
import { SearchUnavailableError } from '../../core/errors.js';
import type { Hit } from '../../core/logs/index.js';
import { errorReason, isOk, type ClusterAnswer, type ClusterTransport } from './transport.js';

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
 * Searches with pre-built bodies (built and validated by core/logs, in the kind's dialect). A
 * missing data stream (a stage that has indexed nothing yet) answers empty, not 404; anything the
 * cluster could not do is transient (503 to the caller).
 */
export function clusterLogSearch(transport: ClusterTransport, o: { kind: ClusterKind; requestTimeoutMs: number }): LogSearch {
  const call = async <T>(path: string, body: Record<string, unknown>): Promise<T> => {
    const request = { method: 'POST' as const, path, body, query: { ignore_unavailable: true, allow_no_indices: true }, timeoutMs: o.requestTimeoutMs };
    const answer = await retryOnce(() => transport.request<T>(request));
    if (!isOk(answer))
      throw new SearchUnavailableError(`Cluster search failed (HTTP ${answer.status}): ${errorReason(answer)}`, { details: { status: answer.status } });
    return answer.body;
  };
  return {
    async search(index, body) {
      const out = await call<{ hits?: { hits?: Hit[]; total?: { value: number; relation: 'eq' | 'gte' } }; aggregations?: unknown }>(
        `/${encodeURIComponent(index)}/_search`,
        searchBodyFor(o.kind, body),
      );
      return { hits: out.hits?.hits ?? [], total: out.hits?.total, aggregations: out.aggregations };
    },
    async count(index, query) {
      const out = await call<{ count?: number }>(`/${encodeURIComponent(index)}/_count`, { query });
      return out.count ?? 0;
    },
  };
}

/**
 * Before the second try: a backing index created a moment ago (the first line of a stage, a
 * rollover) answers "no shard available" for ~100 ms after its shard has started.
 */
const RETRY_AFTER_MS = 250;

/**
 * One more try, {@link RETRY_AFTER_MS} later, when there was no answer or a gateway/overload
 * status (a node restarting, a load balancer in between, a backing index just created).
 */
async function retryOnce<T>(send: () => Promise<ClusterAnswer<T>>): Promise<ClusterAnswer<T>> {
  try {
    const answer = await send();
    if (![502, 503, 504].includes(answer.status)) return answer;
  } catch {
    // fall through to the second try, whose failure is the one reported
  }
  await delay(RETRY_AFTER_MS);
  return send();
}
