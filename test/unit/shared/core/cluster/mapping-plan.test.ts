import { describe, expect, it } from 'vitest';
import {
  candidateFeatures,
  ecsMappings,
  ismPolicy,
  LINES_INDEX_SORT,
  mappingPlan,
  rolloverAge,
  searchBodyFor,
  storedAsWritten,
  templateRequests,
  UnsupportedClusterError,
} from '../../../../../shared/core/cluster/index.js';
import { sortFor } from '../../../../../shared/core/logs/index.js';

const ALL = new Set(['flattened', 'flat_object', 'match_only_text', 'constant_keyword', 'date_nanos']);
/** What the local test distributions turned out to have (probed by the deploy step). */
const ES_TEST_ZIP = new Set(['flattened', 'date_nanos']);
const OPENSEARCH_TEST_ZIP = new Set(['flat_object', 'match_only_text', 'date_nanos']);
/** The Elasticsearch test distributions keep a logsdb index's `_source` synthetic (they have no licence check). */
const ES_TEST_ZIP_SYNTHETIC = new Set([...ES_TEST_ZIP, 'synthetic_source']);
const LEAN_STORED = { codec: 'best_compression', source: 'stored', lean: true, numbersWithoutPoints: true, sorted: true };

describe('mappingPlan: one place decides the mapping features per kind', () => {
  it('uses flattened on Elasticsearch and json_kv terms on OpenSearch, and probes only what the kind could use', () => {
    expect(candidateFeatures('es-9')).toEqual(['flattened', 'match_only_text', 'constant_keyword', 'date_nanos']);
    expect(candidateFeatures('opensearch-2')).toEqual(['match_only_text', 'constant_keyword', 'date_nanos']);
    expect(mappingPlan('es-8', ES_TEST_ZIP)).toEqual({
      userJson: 'flattened',
      text: 'text',
      constant: 'keyword',
      timestamp: 'date_nanos',
      indexMode: 'standard',
      lifecycle: 'data-stream-lifecycle',
      storage: LEAN_STORED,
    });
    expect(mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP)).toEqual({
      userJson: 'terms',
      text: 'match_only_text',
      constant: 'keyword',
      timestamp: 'date_nanos',
      indexMode: undefined,
      lifecycle: 'ism',
      storage: { ...LEAN_STORED, numbersWithoutPoints: false },
    });
  });

  it('takes logsdb with synthetic _source only on Elasticsearch and only where the cluster keeps it synthetic', () => {
    expect(mappingPlan('es-9', ES_TEST_ZIP_SYNTHETIC)).toMatchObject({ indexMode: 'logsdb', storage: { source: 'synthetic' } });
    expect(mappingPlan('es-8', ES_TEST_ZIP_SYNTHETIC)).toMatchObject({ indexMode: 'logsdb', storage: { source: 'synthetic' } });
    expect(mappingPlan('opensearch-2', new Set([...OPENSEARCH_TEST_ZIP, 'synthetic_source']))).toMatchObject({
      indexMode: undefined,
      storage: { source: 'stored' },
    });
    expect(storedAsWritten(mappingPlan('es-9', ES_TEST_ZIP_SYNTHETIC))).toMatchObject({
      indexMode: 'standard',
      storage: { codec: 'default', source: 'stored', lean: false, numbersWithoutPoints: false, sorted: false },
    });
    expect(storedAsWritten(mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP))).toMatchObject({ indexMode: undefined, userJson: 'flat_object' });
  });

  it('takes match_only_text and constant_keyword where a full distribution has them', () => {
    expect(mappingPlan('es-9', ALL)).toMatchObject({ text: 'match_only_text', constant: 'constant_keyword' });
  });

  it('refuses an Elasticsearch without flattened, and needs no flat_object on OpenSearch', () => {
    expect(() => mappingPlan('es-9', new Set(['date_nanos']))).toThrow(UnsupportedClusterError);
    expect(() => mappingPlan('es-9', new Set(['date_nanos']))).toThrow(/no flattened field type/);
    expect(mappingPlan('opensearch-2', new Set(['date_nanos'])).userJson).toBe('terms');
  });

  it('gives flattened its bounds, and on OpenSearch keeps json unindexed with its leaves as json_kv keywords without doc values', () => {
    expect(ecsMappings(storedAsWritten(mappingPlan('es-9', ES_TEST_ZIP))).properties.json).toEqual({ type: 'flattened', depth_limit: 20, ignore_above: 8191 });
    expect(ecsMappings(mappingPlan('es-9', ES_TEST_ZIP)).properties.joblogs.properties).not.toHaveProperty('json_kv');
    const os = ecsMappings(mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP)).properties;
    expect(os.json).toEqual({ type: 'object', enabled: false });
    expect(os.joblogs.properties).toMatchObject({ json_kv: { type: 'keyword', ignore_above: 1024, doc_values: false } });
    // Before issue 17 (older backing indices, the benchmark's baseline): flat_object, which takes no parameters in 2.x.
    const before = ecsMappings(storedAsWritten(mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP))).properties;
    expect(before.json).toEqual({ type: 'flat_object' });
    expect(before.joblogs.properties).not.toHaveProperty('json_kv');
    expect(os.message).toEqual({ type: 'match_only_text' });
    expect(os.data_stream.properties.dataset).toEqual({ type: 'keyword', ignore_above: 1024 });
  });
});

describe('ecsMappings: the document shape on disk (docs/search-storage.md)', () => {
  const lean = ecsMappings(mappingPlan('es-9', ES_TEST_ZIP)).properties;
  const synthetic = ecsMappings(mappingPlan('es-9', ES_TEST_ZIP_SYNTHETIC)).properties;
  const before = ecsMappings(storedAsWritten(mappingPlan('es-9', ES_TEST_ZIP))).properties;

  it('keeps every field a reader filters, sorts or aggregates on searchable with doc values', () => {
    for (const m of [lean, synthetic, before]) {
      for (const field of [m.labels.properties.job_id, m.joblogs.properties.source, m.joblogs.properties.stream, m.log.properties.level, m.tags]) {
        expect(field).toEqual({ type: 'keyword', ignore_above: 1024 });
      }
      expect(m['@timestamp']).toEqual({ type: 'date_nanos' });
    }
  });

  it('gives numbers only sorted, ranged or looked up doc values and no points index on Elasticsearch', () => {
    for (const field of [lean.event.properties.sequence, lean.joblogs.properties.chunk_seq, lean.joblogs.properties.line, lean.joblogs.properties.last_line]) {
      expect(field).toEqual({ type: 'long', index: false });
    }
    expect(lean.joblogs.properties.redraws).toEqual({ type: 'integer', index: false });
    expect(before.event.properties.sequence).toEqual({ type: 'long' });
    // OpenSearch before 2.12 cannot query them so: the kind starts at 2.7.
    expect(ecsMappings(mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP)).properties.event.properties.sequence).toEqual({ type: 'long' });
  });

  it('indexes nothing that is only shown, and keeps doc values of it only where synthetic _source rebuilds from them', () => {
    for (const m of [lean.joblogs.properties.end, lean.joblogs.properties.producer, lean.joblogs.properties.original_timestamp, lean.span.properties.id]) {
      expect(m).toEqual({ type: 'keyword', ignore_above: 1024, index: false, doc_values: false });
    }
    expect(synthetic.joblogs.properties.end).toEqual({ type: 'keyword', ignore_above: 1024, index: false });
    expect(lean.joblogs.properties.part).toEqual({ type: 'integer', index: false, doc_values: false });
    expect(before.joblogs.properties.end).toEqual({ type: 'keyword', ignore_above: 1024 });
  });

  it('searches trace ids (where _source is stored) and user JSON without doc values, keeps user JSON as written, and never scores text', () => {
    expect(lean.trace.properties.id).toEqual({ type: 'keyword', ignore_above: 1024, doc_values: false });
    expect(lean.json).toEqual({ type: 'flattened', depth_limit: 20, ignore_above: 8191, doc_values: false });
    expect(synthetic.json).toEqual({ type: 'flattened', depth_limit: 20, ignore_above: 8191, doc_values: false, synthetic_source_keep: 'all' });
    expect(lean.message).toEqual({ type: 'text', norms: false });
    expect(ecsMappings(mappingPlan('es-9', ALL)).properties.message).toEqual({ type: 'match_only_text' });
    expect(lean.error.properties.stack_trace).toEqual({ type: 'text', index: false });
    expect(before.message).toEqual({ type: 'text' });
  });
});

describe('templateRequests', () => {
  it('installs the same templates on both products, with the data stream lifecycle and index.mode only on Elasticsearch', () => {
    const es = templateRequests({ stage: 'dev', retentionDays: 14, plan: mappingPlan('es-9', ES_TEST_ZIP) });
    const os = templateRequests({ stage: 'dev', retentionDays: 14, plan: mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP) });
    expect(es.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_component_template/joblogs-dev-ecs-mappings',
      'PUT /_component_template/joblogs-dev-settings',
      'PUT /_index_template/joblogs-dev-logs',
      'PUT /_index_template/joblogs-dev-chunks',
    ]);
    expect(os.map((r) => r.path)).toEqual(es.map((r) => r.path));
    expect((es[1]!.body as any).template).toEqual({
      settings: {
        'index.auto_expand_replicas': '0-1',
        'index.mapping.total_fields.limit': 200,
        'index.refresh_interval': '1s',
        'index.mode': 'standard',
        'index.codec': 'best_compression',
      },
      lifecycle: { data_retention: '14d' },
    });
    expect((os[1]!.body as any).template).toEqual({
      settings: {
        'index.auto_expand_replicas': '0-1',
        'index.mapping.total_fields.limit': 200,
        'index.refresh_interval': '1s',
        'index.codec': 'best_compression',
      },
    });
    const before = templateRequests({ stage: 'dev', retentionDays: 14, plan: storedAsWritten(mappingPlan('es-9', ES_TEST_ZIP)) });
    expect((before[1]!.body as any).template.settings).not.toHaveProperty('index.codec');
    expect(es[2]!.body as any).toMatchObject({
      index_patterns: ['logs-mlplatform.*-dev'],
      data_stream: {},
      priority: 300,
      composed_of: ['joblogs-dev-ecs-mappings', 'joblogs-dev-settings'],
    });
    expect(es[3]!.body as any).toMatchObject({ index_patterns: ['joblogs-chunks-dev'], data_stream: {}, composed_of: ['joblogs-dev-settings'] });
  });

  it("keeps the lines sorted on disk by job and then in the logs API's merged order, on both products, and not the chunk records", () => {
    const sort = {
      'index.sort.field': ['labels.job_id', 'joblogs.captured', 'joblogs.source', 'event.sequence'],
      'index.sort.order': ['asc', 'asc', 'asc', 'asc'],
    };
    for (const plan of [mappingPlan('es-9', ES_TEST_ZIP_SYNTHETIC), mappingPlan('es-8', ES_TEST_ZIP), mappingPlan('opensearch-2', OPENSEARCH_TEST_ZIP)]) {
      const [mappings, settings, , chunks] = templateRequests({ stage: 'dev', retentionDays: 14, plan });
      expect((mappings!.body as any).template.settings).toEqual(sort);
      expect((settings!.body as any).template.settings).not.toHaveProperty('index.sort.field');
      expect((chunks!.body as any).template).not.toHaveProperty('settings');
    }
    // The sort after the job is the merged order's, field for field, ascending.
    expect(LINES_INDEX_SORT.slice(1)).toEqual(sortFor('merged').map((key) => Object.keys(key)[0]));
    expect(sortFor('merged').every((key) => Object.values(key)[0].order === 'asc')).toBe(true);
    // Older backing indices (the stored-as-written plan) were not sorted.
    const before = templateRequests({ stage: 'dev', retentionDays: 14, plan: storedAsWritten(mappingPlan('es-9', ES_TEST_ZIP)) });
    expect((before[0]!.body as any).template.settings).toEqual({});
  });
});

describe('ismPolicy (OpenSearch retention)', () => {
  it('rolls over as the data stream lifecycle would and deletes a backing index retentionDays after its rollover', () => {
    expect(ismPolicy({ stage: 'dev', retentionDays: 14 })).toEqual({
      policy: {
        description: 'joblogs dev: roll over, delete 14d after rollover',
        default_state: 'hot',
        states: [
          {
            name: 'hot',
            actions: [{ rollover: { min_index_age: '1d', min_primary_shard_size: '50gb' } }],
            transitions: [{ state_name: 'delete', conditions: { min_rollover_age: '14d' } }],
          },
          { name: 'delete', actions: [{ delete: {} }], transitions: [] },
        ],
        ism_template: [{ index_patterns: ['logs-mlplatform.*-dev', 'joblogs-chunks-dev'], priority: 100 }],
      },
    });
    expect([1, 14, 15, 90, 91, 365].map(rolloverAge)).toEqual(['1d', '1d', '7d', '7d', '30d', '30d']);
  });
});

describe('searchBodyFor', () => {
  const body = { size: 10, query: { match_all: {} }, highlight: { fields: { message: {} }, max_analyzed_offset: 1_000_000 } };

  it('leaves Elasticsearch bodies alone and renames the highlighter bound for OpenSearch, without touching the original', () => {
    expect(searchBodyFor('es-8', body)).toBe(body);
    expect(searchBodyFor('opensearch-2', body)).toEqual({
      size: 10,
      query: { match_all: {} },
      highlight: { fields: { message: {} }, max_analyzer_offset: 1_000_000 },
    });
    expect(body.highlight).toHaveProperty('max_analyzed_offset');
    const plain = { size: 1 };
    expect(searchBodyFor('opensearch-2', plain)).toBe(plain);
  });
});
