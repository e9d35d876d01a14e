import type { MappingPlan } from './features.js';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;

/** The user-JSON field: `flattened` takes bounds, `flat_object` takes no parameters in 2.x. */
function userJsonField(plan: MappingPlan): Record<string, unknown> {
  // depth_limit: the indexer keeps JSON to MAX_JSON_DEPTH (16) anyway; ignore_above keeps a longer
  // value in `_source` unindexed instead of refusing the document (Lucene's 32 KB term limit).
  return plan.userJson === 'flattened' ? { type: 'flattened', depth_limit: 20, ignore_above: 8191 } : { type: 'flat_object' };
}

/**
 * ECS mappings of every field the indexer writes. `dynamic: false` at the root means a field we did
 * not plan for is kept in `_source` but never grows the mapping; user JSON goes to one field
 * (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened,
 * https://docs.opensearch.org/latest/field-types/supported-field-types/flat-object/).
 */
export function ecsMappings(plan: MappingPlan) {
  const text = { type: plan.text };
  const constant = plan.constant === 'constant_keyword' ? { type: 'constant_keyword' } : keyword;
  return {
    dynamic: false,
    properties: {
      '@timestamp': { type: plan.timestamp },
      message: text,
      log: { properties: { level: keyword, logger: keyword } },
      trace: { properties: { id: keyword } },
      span: { properties: { id: keyword } },
      service: { properties: { name: keyword } },
      host: { properties: { name: keyword } },
      container: { properties: { id: keyword } },
      error: { properties: { message: text, type: keyword, stack_trace: text } },
      event: { properties: { dataset: keyword, sequence: { type: 'long' } } },
      data_stream: { properties: { type: constant, dataset: constant, namespace: constant } },
      labels: { properties: { job_id: keyword } },
      tags: keyword,
      joblogs: {
        properties: {
          source: keyword,
          stream: keyword,
          chunk_seq: { type: 'long' },
          part: { type: 'integer' },
          line: { type: 'long' },
          // Sort keys of a job's merged view (docs/logs-api.md): doc values, no search index.
          captured: { type: 'date', format: 'epoch_millis', index: false },
          end: keyword,
          producer: keyword,
          original_timestamp: keyword,
          // Events and collapsed progress bars (docs/chunk-contract.md): what they stand for. `lines`, `positions` and `chunk_key` stay in _source only.
          span: { type: 'integer' },
          last_line: { type: 'long' },
          redraws: { type: 'integer' },
        },
      },
      json: userJsonField(plan),
    },
  };
}

/** One document per indexed chunk (shared/core/ingest/chunk-record.ts): what the logs API's tail and summary read. */
export const chunkRecordMappings = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    labels: { properties: { job_id: keyword } },
    joblogs: {
      properties: {
        source: keyword,
        chunk_seq: { type: 'long' },
        positions: { type: 'long' },
        documents: { type: 'long' },
        first_line: { type: 'long' },
        last_line: { type: 'long' },
        captured_from: { type: 'date', format: 'epoch_millis' },
        captured_to: { type: 'date', format: 'epoch_millis' },
        error: keyword,
        final: { properties: { lineCount: { type: 'long' }, exitCode: { type: 'long' }, signal: keyword } },
      },
    },
  },
} as const;
