import { afterEach, describe, expect, it } from 'vitest';
import { clusterBulkSender } from '../../../../../shared/adapters/search/bulk-sender.js';
import { secretSigner } from '../../../../../shared/adapters/search/signers.js';
import { httpTransport } from '../../../../../shared/adapters/search/transport.js';
import { SearchUnavailableError } from '../../../../../shared/core/errors.js';
import { startStubServer, type StubResponse } from '../../../../../testkit/fakes/stub-server.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
const body = Buffer.from(
  '{"create":{"_index":"logs-mlplatform.job-test","_id":"a"}}\n{"message":"x"}\n{"create":{"_index":"logs-mlplatform.job-test","_id":"b"}}\n{"message":"y"}\n',
);
let stub: Awaited<ReturnType<typeof startStubServer>> | undefined;
afterEach(async () => stub?.close());

async function sendWith(response: StubResponse) {
  stub = await startStubServer(() => ({ headers: JSON_HEADERS, ...response }));
  return clusterBulkSender(httpTransport({ node: stub.url, sign: secretSigner(undefined), requestTimeoutMs: 2_000 }))(body, { timeoutMs: 2_000 });
}

describe('clusterBulkSender against verbatim cluster answers', () => {
  it('reads an `errors: true` response item by item: created, conflict, rejected, overloaded', async () => {
    // As Elasticsearch 9 answers with filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason.
    const items = await sendWith({
      status: 200,
      body: JSON.stringify({
        errors: true,
        items: [
          { create: { status: 201 } },
          {
            create: {
              status: 409,
              error: { type: 'version_conflict_engine_exception', reason: '[b]: version conflict, document already exists (current version [1])' },
            },
          },
          { create: { status: 400, error: { type: 'document_parsing_exception', reason: '[1:62] failed to parse field [json] of type [flattened]' } } },
          { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } } },
        ],
      }),
    });
    expect(items).toEqual([
      { status: 201 },
      { status: 409, error: { type: 'version_conflict_engine_exception', reason: '[b]: version conflict, document already exists (current version [1])' } },
      { status: 400, error: { type: 'document_parsing_exception', reason: '[1:62] failed to parse field [json] of type [flattened]' } },
      { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } },
    ]);
    expect(stub!.requests[0]).toMatchObject({ method: 'POST', url: '/_bulk?filter_path=errors%2Citems.*.status%2Citems.*.error.type%2Citems.*.error.reason' });
    expect(stub!.requests[0]!.headers['content-type']).toBe('application/x-ndjson');
    expect(stub!.requests[0]!.body).toEqual(body);
  });

  it('turns a 401 of the security layer into a transient failure naming the status (the credentials may be rotating)', async () => {
    const error = await sendWith({
      status: 401,
      headers: { ...JSON_HEADERS, 'www-authenticate': 'Basic realm="security", charset="UTF-8"' },
      body: JSON.stringify({
        error: {
          root_cause: [{ type: 'security_exception', reason: 'unable to authenticate user [joblogs_writer] for REST request [/_bulk]' }],
          type: 'security_exception',
          reason: 'unable to authenticate user [joblogs_writer] for REST request [/_bulk]',
        },
        status: 401,
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect(String((error as Error).message)).toContain('HTTP 401');
  });

  it('turns a whole-request 429 (es_rejected_execution_exception) into a transient failure', async () => {
    const error = await sendWith({
      status: 429,
      body: JSON.stringify({
        error: {
          root_cause: [{ type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' }],
          type: 'es_rejected_execution_exception',
          reason: 'rejected execution of coordinating operation',
        },
        status: 429,
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect((error as SearchUnavailableError).details).toEqual({ status: 429 });
  });

  it('turns a 503 (no master) into a transient failure', async () => {
    const error = await sendWith({
      status: 503,
      body: JSON.stringify({
        error: {
          root_cause: [{ type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];' }],
          type: 'cluster_block_exception',
          reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];',
        },
        status: 503,
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect((error as SearchUnavailableError).kind).toBe('transient');
  });

  it('reads OpenSearch 2.19’s answer to a duplicate `create` in a data stream the same way (no product header needed)', async () => {
    // Verbatim from the local OpenSearch 2.19.3 (no X-Elastic-Product header).
    stub = await startStubServer(() => ({
      status: 200,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: '{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[a1]: version conflict, document already exists (current version [1])"}}}]}',
    }));
    const items = await clusterBulkSender(httpTransport({ node: stub.url, sign: secretSigner(undefined), requestTimeoutMs: 2_000 }))(body, {
      timeoutMs: 2_000,
    });
    expect(items.map((i) => i.status)).toEqual([201, 409]);
    expect(items[1]!.error!.type).toBe('version_conflict_engine_exception');
  });

  it('turns a refused connection into a transient failure that says so', async () => {
    stub = await startStubServer(() => ({ status: 200 }));
    const url = stub.url;
    await stub.close();
    stub = undefined;
    const error = await clusterBulkSender(httpTransport({ node: url, sign: secretSigner(undefined), requestTimeoutMs: 2_000 }))(body, {
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchUnavailableError);
    expect(String((error as Error).message)).toContain('ECONNREFUSED');
  });
});
