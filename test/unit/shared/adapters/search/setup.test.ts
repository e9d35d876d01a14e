/**
 * The deploy step's conversation with a cluster, against a stub that answers as each product
 * does (answers taken verbatim from Elasticsearch 9.2 / 8.19 and OpenSearch 2.19): what it is,
 * which field types it has, the templates, and the ISM policy created or updated in place. The
 * local clusters run the same code for real (integration); this covers what they cannot show:
 * an ISM plugin, a data stream lifecycle service, a mismatch, an older version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setupCluster } from '../../../../../shared/adapters/search/setup.js';
import { secretSigner } from '../../../../../shared/adapters/search/signers.js';
import { httpTransport } from '../../../../../shared/adapters/search/transport.js';
import { UnsupportedClusterError } from '../../../../../shared/core/cluster/index.js';
import { startStubServer, type StubRequest, type StubResponse } from '../../../../../testkit/fakes/stub-server.js';

type Product = {
  name: 'elasticsearch' | 'opensearch';
  version: string;
  types: readonly string[];
  ism?: 'absent' | 'none-yet' | 'exists';
  lifecycle?: boolean;
  /** What a `logsdb` index's `_source` turns out to be (Elasticsearch: `stored` below an Enterprise licence). */
  sourceMode?: 'synthetic' | 'stored' | 'forbidden';
  /** The stage's chunk records already have a data stream (an earlier deploy). */
  chunkRecords?: boolean;
};

const json = (status: number, body: unknown, product?: string): StubResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...(product === 'elasticsearch' ? { 'x-elastic-product': 'Elasticsearch' } : {}) },
  body: JSON.stringify(body),
});

/** Answers as the product would, recording every request. */
function cluster(p: Product) {
  return (r: StubRequest): StubResponse => {
    const path = r.url.split('?')[0]!;
    if (path === '/_nodes/_local') return json(200, { nodes: { n1: { version: p.version } } }, p.name);
    if (path === '/_index_template/_simulate') {
      const type = JSON.parse(r.body.toString()).template.mappings.properties.probe.type as string;
      return p.types.includes(type)
        ? json(200, { template: { settings: {}, mappings: { properties: { probe: { type } } }, aliases: {} }, overlapping: [] }, p.name)
        : json(
            400,
            {
              error: {
                type: 'illegal_argument_exception',
                reason: 'composable template [simulate_template_x] template after composition is invalid',
                caused_by: { type: 'mapper_parsing_exception', reason: `No handler for type [${type}] declared on field [probe]` },
              },
              status: 400,
            },
            p.name,
          );
    }
    if (path === '/joblogs-probe-source-mode') {
      if (r.method === 'PUT' && p.sourceMode === 'forbidden')
        return json(403, { error: { type: 'security_exception', reason: 'action [indices:admin/create] is unauthorized' }, status: 403 }, p.name);
      if (r.method === 'PUT') return json(200, { acknowledged: true, index: 'joblogs-probe-source-mode' }, p.name);
      return json(200, { acknowledged: true }, p.name);
    }
    if (path === '/joblogs-probe-source-mode/_settings') {
      // Below Enterprise, Elasticsearch's logsdb plugin writes the fallback into the index's own settings.
      const mode = p.sourceMode ?? 'stored';
      const index =
        mode === 'stored'
          ? { settings: { 'index.mapping.source.mode': 'stored' }, defaults: {} }
          : { settings: {}, defaults: { 'index.mapping.source.mode': 'SYNTHETIC' } };
      return json(200, { 'joblogs-probe-source-mode': index }, p.name);
    }
    if (path.startsWith('/_component_template/') || path.startsWith('/_index_template/')) return json(200, { acknowledged: true }, p.name);
    if (path === '/joblogs-chunks-dev/_mapping')
      return p.chunkRecords
        ? json(200, { acknowledged: true }, p.name)
        : json(404, { error: { type: 'index_not_found_exception', reason: 'no such index [joblogs-chunks-dev]' }, status: 404 }, p.name);
    if (path === '/_lifecycle/stats')
      return p.lifecycle
        ? json(200, { last_run_duration_in_millis: 2, data_stream_count: 0, data_streams: [] }, p.name)
        : json(400, { error: 'no handler found for uri [/_lifecycle/stats] and method [GET]' }, p.name);
    if (path.startsWith('/_plugins/_ism/policies/')) {
      if (p.ism === 'absent' || !p.ism) return json(400, { error: `no handler found for uri [${path}] and method [${r.method}]` });
      if (r.method === 'GET')
        return p.ism === 'exists'
          ? json(200, { _id: 'joblogs-dev-retention', _seq_no: 7, _primary_term: 2, policy: {} })
          : json(404, {
              error: { root_cause: [{ type: 'status_exception', reason: 'Policy not found' }], type: 'status_exception', reason: 'Policy not found' },
              status: 404,
            });
      return json(p.ism === 'exists' ? 200 : 201, { _id: 'joblogs-dev-retention', _seq_no: 8, _primary_term: 2 });
    }
    return json(404, { error: `unexpected ${r.method} ${r.url}` });
  };
}

let stub: Awaited<ReturnType<typeof startStubServer>> | undefined;
afterEach(async () => stub?.close());

async function setup(p: Product, o: { declared: 'es-8' | 'es-9' | 'opensearch-2'; lifecycle?: 'required' | 'optional' }) {
  stub = await startStubServer(cluster(p));
  const warnings: string[] = [];
  const transport = httpTransport({ node: stub.url, sign: secretSigner({ username: 'deployer', password: 'pw' }), requestTimeoutMs: 2_000 });
  const report = await setupCluster(transport, {
    declared: o.declared,
    stage: 'dev',
    retentionDays: 14,
    lifecycle: o.lifecycle ?? 'required',
    warn: (m) => warnings.push(m),
  });
  return { report, warnings, requests: stub.requests.map((r) => `${r.method} ${r.url}`) };
}

describe('setupCluster', () => {
  it('on a full Elasticsearch 9: detects it by its product header, takes every field type it has, relies on its lifecycle service', async () => {
    const { report, warnings, requests } = await setup(
      { name: 'elasticsearch', version: '9.2.0', types: ['flattened', 'match_only_text', 'constant_keyword', 'date_nanos'], lifecycle: true },
      { declared: 'es-9' },
    );
    expect(report).toMatchObject({
      identity: { product: 'elasticsearch', version: '9.2.0' },
      kind: 'es-9',
      retentionEnforced: true,
      plan: {
        userJson: 'flattened',
        text: 'match_only_text',
        constant: 'constant_keyword',
        indexMode: 'standard',
        storage: { codec: 'best_compression', source: 'stored', lean: true, numbersWithoutPoints: true, sorted: true },
      },
    });
    expect(warnings).toEqual([]);
    expect(requests.filter((r) => r.startsWith('PUT'))).toEqual([
      'PUT /joblogs-probe-source-mode',
      'PUT /_component_template/joblogs-dev-ecs-mappings',
      'PUT /_component_template/joblogs-dev-settings',
      'PUT /_index_template/joblogs-dev-logs',
      'PUT /_index_template/joblogs-dev-chunks',
      'PUT /joblogs-chunks-dev/_mapping',
    ]);
    expect(stub!.requests.every((r) => r.headers['authorization'] === `Basic ${Buffer.from('deployer:pw').toString('base64')}`)).toBe(true);
  });

  it("adds the chunk records' fields to the backing indices an earlier deploy created (a new stage has none: nothing to do)", async () => {
    const product = { name: 'elasticsearch', version: '9.2.0', types: ['flattened'], lifecycle: true, chunkRecords: true } as const;
    const { requests } = await setup(product, { declared: 'es-9' });
    const update = stub!.requests.find((r) => r.url === '/joblogs-chunks-dev/_mapping');
    expect(requests).toContain('PUT /joblogs-chunks-dev/_mapping');
    const body = JSON.parse(update!.body.toString());
    expect(Object.keys(body.properties)).toEqual(['joblogs']);
    expect(body.properties.joblogs.properties.counts.properties.levels.properties.error).toEqual({ type: 'long' });
  });

  it('uses logsdb only where a probe index shows its _source really is synthetic, deletes the probe again, and deploys without it when the probe is forbidden', async () => {
    const es9 = {
      name: 'elasticsearch',
      version: '9.2.0',
      types: ['flattened', 'match_only_text', 'constant_keyword', 'date_nanos'],
      lifecycle: true,
    } as const;
    const enterprise = await setup({ ...es9, sourceMode: 'synthetic' }, { declared: 'es-9' });
    expect(enterprise.report.plan).toMatchObject({
      indexMode: 'logsdb',
      storage: { codec: 'best_compression', source: 'synthetic', lean: true, numbersWithoutPoints: true, sorted: true },
    });
    expect(enterprise.requests.slice(1, 5)).toEqual([
      ...['flattened', 'match_only_text', 'constant_keyword', 'date_nanos'].map(() => 'POST /_index_template/_simulate'),
    ]);
    expect(enterprise.requests.filter((r) => r.includes('joblogs-probe-source-mode'))).toEqual([
      'DELETE /joblogs-probe-source-mode?ignore_unavailable=true',
      'PUT /joblogs-probe-source-mode',
      'GET /joblogs-probe-source-mode/_settings?include_defaults=true&flat_settings=true',
      'DELETE /joblogs-probe-source-mode',
    ]);
    const settings = stub!.requests.find((r) => r.method === 'PUT' && r.url.includes('settings') && r.url.includes('component'))!;
    expect(JSON.parse(settings.body.toString()).template.settings).toMatchObject({ 'index.mode': 'logsdb', 'index.codec': 'best_compression' });
    await stub!.close();
    const basic = await setup({ ...es9, sourceMode: 'stored' }, { declared: 'es-9' });
    expect(basic.report.plan).toMatchObject({ indexMode: 'standard', storage: { source: 'stored' } });
    expect(basic.warnings).toEqual([]);
    await stub!.close();
    const unprivileged = await setup({ ...es9, sourceMode: 'forbidden' }, { declared: 'es-9' });
    expect(unprivileged.report.plan).toMatchObject({ indexMode: 'standard', storage: { source: 'stored' } });
    expect(unprivileged.warnings).toEqual([
      '[es-setup] may not create the probe index joblogs-probe-source-mode (HTTP 403): index.mode standard, stored _source',
    ]);
  });

  it('never probes logsdb on OpenSearch, which has no such mode', async () => {
    const { requests } = await setup(
      { name: 'opensearch', version: '2.19.3', types: ['flat_object', 'date_nanos'], ism: 'none-yet' },
      { declared: 'opensearch-2' },
    );
    expect(requests.some((r) => r.includes('probe-source-mode'))).toBe(false);
  });

  it('on Amazon OpenSearch Service: user JSON as json_kv terms, and the ISM policy created, then updated in place with the version it replaces', async () => {
    const os = { name: 'opensearch', version: '2.19.0', types: ['flat_object', 'match_only_text', 'date_nanos'] } as const;
    const created = await setup({ ...os, ism: 'none-yet' }, { declared: 'opensearch-2' });
    expect(created.report).toMatchObject({
      kind: 'opensearch-2',
      retentionEnforced: true,
      plan: { userJson: 'terms', text: 'match_only_text', constant: 'keyword', indexMode: undefined, lifecycle: 'ism' },
    });
    expect(created.requests.slice(-2)).toEqual(['GET /_plugins/_ism/policies/joblogs-dev-retention', 'PUT /_plugins/_ism/policies/joblogs-dev-retention']);
    expect(JSON.parse(stub!.requests.at(-1)!.body.toString()).policy.ism_template).toEqual([
      { index_patterns: ['logs-mlplatform.*-dev', 'joblogs-chunks-dev'], priority: 100 },
    ]);
    await stub!.close();
    const updated = await setup({ ...os, ism: 'exists' }, { declared: 'opensearch-2' });
    expect(updated.requests.at(-1)).toBe('PUT /_plugins/_ism/policies/joblogs-dev-retention?if_seq_no=7&if_primary_term=2');
  });

  it('refuses a cluster of another kind than the stage declares, before installing anything', async () => {
    const error = await setup({ name: 'elasticsearch', version: '8.19.0', types: ['flattened'] }, { declared: 'es-9' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedClusterError);
    expect((error as Error).message).toBe('The stage declares clusterKind es-9, but the cluster is Elasticsearch 8.19.0: set clusterKind: es-8');
    expect(stub!.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('refuses a retention it cannot keep on a deploy, and only warns where that is accepted (the local test distributions)', async () => {
    const noIsm = { name: 'opensearch', version: '2.19.3', types: ['flat_object', 'date_nanos'], ism: 'absent' } as const;
    await expect(setup(noIsm, { declared: 'opensearch-2' })).rejects.toThrow(
      'Retention of 14d cannot be kept: the cluster has no Index State Management plugin',
    );
    await stub!.close();
    const local = await setup(noIsm, { declared: 'opensearch-2', lifecycle: 'optional' });
    expect(local.report.retentionEnforced).toBe(false);
    expect(local.warnings).toEqual([
      '[es-setup] the cluster has no Index State Management plugin: old backing indices would never be deleted (accepted: lifecycle optional)',
    ]);
    await stub!.close();
    const es8 = await setup(
      { name: 'elasticsearch', version: '8.19.0', types: ['flattened', 'date_nanos'], lifecycle: false },
      { declared: 'es-8', lifecycle: 'optional' },
    );
    expect(es8.warnings[0]).toMatch(/no data stream lifecycle/);
  });

  it('refuses an OpenSearch older than 2.7 by its version, and Elasticsearch 8.17', async () => {
    await expect(setup({ name: 'opensearch', version: '2.5.0', types: ['date_nanos'] }, { declared: 'opensearch-2' })).rejects.toThrow(
      'OpenSearch 2.5.0 is too old for opensearch-2: it needs OpenSearch 2.7+',
    );
    await stub!.close();
    await expect(setup({ name: 'elasticsearch', version: '8.17.4', types: ['flattened'] }, { declared: 'es-8' })).rejects.toThrow(/too old for es-8/);
  });
});
