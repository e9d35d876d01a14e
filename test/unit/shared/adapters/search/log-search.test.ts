import { afterEach, describe, expect, it } from 'vitest';
import { clusterLogSearch } from '../../../../../shared/adapters/search/log-search.js';
import { secretSigner } from '../../../../../shared/adapters/search/signers.js';
import { httpTransport } from '../../../../../shared/adapters/search/transport.js';
import { SearchUnavailableError } from '../../../../../shared/core/errors.js';
import { startStubServer, type StubResponse } from '../../../../../testkit/fakes/stub-server.js';

/** What Elasticsearch answers a search that reaches a backing index created a moment ago (its log, verbatim in substance). */
const NO_SHARD: StubResponse = {
  status: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    error: {
      type: 'search_phase_execution_exception',
      reason: 'all shards failed',
      phase: 'query',
      root_cause: [{ type: 'no_shard_available_action_exception' }],
    },
    status: 503,
  }),
};
const COUNT_7: StubResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"count":7}' };

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function searchAgainst(answers: StubResponse[]) {
  const stub = await startStubServer((_request, n) => answers[Math.min(n, answers.length) - 1]!);
  close = stub.close;
  const transport = httpTransport({ node: stub.url, sign: secretSigner(undefined), requestTimeoutMs: 2_000 });
  return { search: clusterLogSearch(transport, { kind: 'es-9', requestTimeoutMs: 2_000 }), requests: stub.requests };
}

describe('clusterLogSearch', () => {
  it('tries once more when a just-created backing index has no shard available yet, and answers', async () => {
    const { search, requests } = await searchAgainst([NO_SHARD, COUNT_7]);
    expect(await search.count('logs-mlplatform.*-prod', { term: { 'labels.job_id': 'job-1' } })).toBe(7);
    expect(requests).toHaveLength(2);
  });

  it('reports the cluster unavailable (a 503 to the caller) when the second try fails too', async () => {
    const { search, requests } = await searchAgainst([NO_SHARD, NO_SHARD]);
    const error = await search.count('logs-mlplatform.*-prod', { match_all: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect((error as Error).message).toContain('all shards failed');
    expect(requests).toHaveLength(2);
  });

  it('does not retry an answer that is not transient', async () => {
    const { search, requests } = await searchAgainst([{ status: 400, body: '{"error":{"type":"parsing_exception","reason":"bad query"},"status":400}' }]);
    await expect(search.count('logs-mlplatform.*-prod', { match_all: {} })).rejects.toBeInstanceOf(SearchUnavailableError);
    expect(requests).toHaveLength(1);
  });
});
