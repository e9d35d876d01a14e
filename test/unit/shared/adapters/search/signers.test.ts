/**
 * What the functions send with `CLUSTER_AUTH=iam` is signed as Amazon OpenSearch Service checks
 * it: real requests of the real adapters (the SDK's signer, our transport) go through the
 * verifying proxy of testkit/sigv4.ts — itself checked against AWS's test suite — to a stub
 * cluster, which sees only what verified. Never "the Authorization header is there".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clusterBulkSender } from '../../../../../shared/adapters/search/bulk-sender.js';
import { clusterTransports } from '../../../../../shared/adapters/search/connect.js';
import { clusterLogSearch } from '../../../../../shared/adapters/search/log-search.js';
import { sigV4Signer } from '../../../../../shared/adapters/search/signers.js';
import { httpTransport } from '../../../../../shared/adapters/search/transport.js';
import { SearchUnavailableError } from '../../../../../shared/core/errors.js';
import { startStubServer } from '../../../../../testkit/fakes/stub-server.js';
import { startSigV4Proxy, type SigV4Proxy } from '../../../../../testkit/sigv4.js';

const ROLE = {
  accessKeyId: 'ASIAJOBLOGSTESTROLE',
  secretAccessKey: 'c2VjcmV0LW9mLXRoZS1mdW5jdGlvbnMtcm9sZQ',
  sessionToken: 'IQoJb3JpZ2luX2VjEJ//////////session',
};
const BULK = Buffer.from('{"create":{"_index":"logs-mlplatform.job-dev","_id":"a"}}\n{"message":"ünïcode ✓"}\n');
const BULK_OK = JSON.stringify({ errors: false, items: [{ create: { status: 201 } }] });

let stub: Awaited<ReturnType<typeof startStubServer>>;
let proxy: SigV4Proxy;
afterEach(async () => {
  await proxy?.close();
  await stub?.close();
});

async function stack(o: { accept?: typeof ROLE; body?: string } = {}) {
  stub = await startStubServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: o.body ?? BULK_OK }));
  proxy = await startSigV4Proxy({
    target: stub.url,
    region: 'eu-west-1',
    credentials: [o.accept ?? ROLE],
    targetAuth: { username: 'backend', password: 'pw' },
  });
}

const transport = (credentials = ROLE, now?: () => Date) =>
  httpTransport({
    node: proxy.url,
    sign: sigV4Signer({ region: 'eu-west-1', credentials: async () => credentials, ...(now ? { now } : {}) }),
    requestTimeoutMs: 2_000,
  });

describe('sigV4Signer, verified as Amazon OpenSearch Service would', () => {
  it('signs a bulk request (NDJSON body, filter_path query, session token) that verifies, and the cluster gets it unchanged', async () => {
    await stack();
    const items = await clusterBulkSender(transport())(BULK, { timeoutMs: 2_000 });
    expect(items).toEqual([{ status: 201 }]);
    expect(proxy.refused).toEqual([]);
    expect(proxy.accepted).toBe(1);
    expect(stub.requests[0]!.body).toEqual(BULK);
    expect(stub.requests[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('backend:pw').toString('base64')}`);
  });

  it('signs searches of a wildcard data stream path (`*` is escaped in the canonical path)', async () => {
    await stack({ body: JSON.stringify({ hits: { hits: [], total: { value: 0, relation: 'eq' } } }) });
    const search = clusterLogSearch(transport(), { kind: 'opensearch-2', requestTimeoutMs: 2_000 });
    await search.search('logs-mlplatform.*-dev', {
      size: 1,
      query: { term: { 'labels.job_id': 'j 1' } },
      highlight: { fields: { message: {} }, max_analyzed_offset: 10 },
    });
    expect(proxy.refused).toEqual([]);
    expect(stub.requests[0]!.url).toBe('/logs-mlplatform.*-dev/_search?ignore_unavailable=true&allow_no_indices=true');
    // OpenSearch's spelling of the highlighter bound reached the cluster.
    expect(JSON.parse(stub.requests[0]!.body.toString()).highlight).toEqual({ fields: { message: {} }, max_analyzer_offset: 10 });
  });

  it('is refused with a wrong secret, an unknown key, without the session token, or a stale clock — and the bulk sender retries later', async () => {
    await stack();
    const cases = [
      transport({ ...ROLE, secretAccessKey: 'wrong' }),
      transport({ ...ROLE, accessKeyId: 'ASIAOTHER' }),
      transport({ ...ROLE, sessionToken: undefined as unknown as string }),
      transport(ROLE, () => new Date(Date.now() - 20 * 60_000)),
    ];
    for (const t of cases) {
      const error = await clusterBulkSender(t)(BULK, { timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SearchUnavailableError);
      expect((error as SearchUnavailableError).details).toEqual({ status: 403 });
    }
    expect(proxy.refused.map((r) => r.reason)).toEqual([
      'signature does not match',
      'unknown access key ASIAOTHER',
      'x-amz-security-token is not signed',
      'signature expired (x-amz-date too far from now)',
    ]);
    expect(stub.requests).toHaveLength(0);
  });

  it('clusterTransports with auth iam takes the role from the credential provider and keeps one transport', async () => {
    await stack();
    const transportFor = clusterTransports(
      { kind: 'opensearch-2', node: proxy.url, auth: 'iam', region: 'eu-west-1', requestTimeoutMs: 2_000 },
      { credentials: async () => ROLE },
    );
    expect(transportFor(undefined)).toBe(transportFor({ username: 'ignored', password: 'x' }));
    await clusterBulkSender(transportFor(undefined))(BULK, { timeoutMs: 2_000 });
    expect(proxy.accepted).toBe(1);
  });
});
