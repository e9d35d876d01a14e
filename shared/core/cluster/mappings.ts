import { COUNTED_STREAMS, RECORDED_LEVELS } from '../ingest/document-counts.js';
import type { MappingPlan, StoragePlan } from './features.js';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;

type Field = Record<string, unknown>;

/**
 * What no reader queries, sorts or aggregates on (only shown): no search index; no doc values
 * either where `_source` is stored, since nothing would read them (synthetic source rebuilds the
 * value from them, so there they stay).
 */
function shownOnly(plan: MappingPlan, field: Field): Field {
  if (!plan.storage.lean) return field;
  return plan.storage.source === 'synthetic' ? { ...field, index: false } : { ...field, index: false, doc_values: false };
}

/** What readers only search by value (trace ids, user JSON): the search index, no doc values (kept for synthetic source). */
function searchedOnly(plan: MappingPlan, field: Field): Field {
  return plan.storage.lean && plan.storage.source === 'stored' ? { ...field, doc_values: false } : field;
}

/** Full text: never scored (every reader sorts by position), so no norms. */
function fullText(plan: MappingPlan): Field {
  return plan.storage.lean && plan.text === 'text' ? { type: 'text', norms: false } : { type: plan.text };
}

/**
 * What readers only sort, range, aggregate or look up by exact value (sequence numbers, line
 * numbers): doc values answer all of it where the cluster queries doc-values-only numbers
 * ({@link StoragePlan.numbersWithoutPoints}), so the points index is dropped there.
 */
function docValuesOnly(plan: MappingPlan, field: Field): Field {
  return plan.storage.lean && plan.storage.numbersWithoutPoints ? { ...field, index: false } : field;
}

/**
 * The user-JSON field: `flattened` takes bounds, `flat_object` takes no parameters in 2.x; with
 * `terms` it is only kept in `_source`, searched through {@link jsonTermsField}.
 */
function userJsonField(plan: MappingPlan): Record<string, unknown> {
  if (plan.userJson === 'terms') return { type: 'object', enabled: false };
  // depth_limit: the indexer keeps JSON to MAX_JSON_DEPTH (16) anyway; ignore_above keeps a longer
  // value in `_source` unindexed instead of refusing the document (Lucene's 32 KB term limit).
  if (plan.userJson === 'flat_object') return { type: 'flat_object' };
  const field: Field = { type: 'flattened', depth_limit: 20, ignore_above: 8191 };
  if (!plan.storage.lean) return field;
  // Searched (`json.step: 3`), never sorted or aggregated by a reader: no doc values (a third of a
  // lean document). Synthetic source would rebuild `json` from them with sorted keys and every
  // value a string; kept as written instead (`synthetic_source_keep`, Elasticsearch 8.15+).
  return plan.storage.source === 'synthetic' ? { ...field, doc_values: false, synthetic_source_keep: 'all' } : { ...field, doc_values: false };
}

/**
 * `joblogs.json_kv`: every leaf of the user JSON as `path=value` (shared/core/ingest/json-terms.ts),
 * searched by exact value (`joblogs.json_kv: "step=3"`), never sorted or aggregated: no doc
 * values. A longer term than Lucene takes is kept in `_source` unindexed instead of refusing the
 * document. Only where the plan keeps user JSON as terms; elsewhere the indexer does not write it.
 */
function jsonTermsField(plan: MappingPlan): Record<string, Field> {
  return plan.userJson === 'terms' ? { json_kv: { ...keyword, doc_values: false } } : {};
}

/**
 * ECS mappings of every field the indexer writes. `dynamic: false` at the root means a field we did
 * not plan for is kept in `_source` but never grows the mapping; user JSON goes to one field
 * (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened,
 * https://docs.opensearch.org/latest/field-types/supported-field-types/flat-object/).
 */
export function ecsMappings(plan: MappingPlan) {
  const text = fullText(plan);
  const constant = plan.constant === 'constant_keyword' ? { type: 'constant_keyword' } : keyword;
  const long = { type: 'long' };
  const integer = { type: 'integer' };
  return {
    dynamic: false,
    properties: {
      '@timestamp': { type: plan.timestamp },
      message: text,
      log: { properties: { level: keyword, logger: keyword } },
      trace: { properties: { id: searchedOnly(plan, keyword) } },
      span: { properties: { id: shownOnly(plan, keyword) } },
      service: { properties: { name: keyword } },
      host: { properties: { name: keyword } },
      container: { properties: { id: keyword } },
      // An event's stack trace is its message again (docs/chunk-contract.md, "Events"): searched there.
      error: { properties: { message: text, type: keyword, stack_trace: plan.storage.lean ? { type: 'text', index: false } : text } },
      event: { properties: { dataset: keyword, sequence: docValuesOnly(plan, long) } },
      data_stream: { properties: { type: constant, dataset: constant, namespace: constant } },
      labels: { properties: { job_id: keyword } },
      tags: keyword,
      joblogs: {
        properties: {
          source: keyword,
          stream: keyword,
          chunk_seq: docValuesOnly(plan, long),
          part: shownOnly(plan, integer),
          line: docValuesOnly(plan, long),
          // Sort keys of a job's merged view (docs/logs-api.md): doc values, no search index.
          captured: { type: 'date', format: 'epoch_millis', index: false },
          end: shownOnly(plan, keyword),
          producer: shownOnly(plan, keyword),
          original_timestamp: shownOnly(plan, keyword),
          // Events and collapsed progress bars (docs/chunk-contract.md): what they stand for. `lines`, `positions` and `chunk_key` stay in _source only,
          // as does `colours`, the colour codes taken out of `message` (shared/core/contract/colour-codes.ts).
          span: shownOnly(plan, integer),
          last_line: docValuesOnly(plan, long),
          redraws: docValuesOnly(plan, integer),
          ...jsonTermsField(plan),
        },
      },
      json: userJsonField(plan),
    },
  };
}

/**
 * The order a backing index of the lines keeps its documents in on disk (`index.sort.*`): by job,
 * then the merged order the logs API reads a job in (`joblogs.captured`, `joblogs.source`,
 * `event.sequence`: `sortFor('merged')` in shared/core/logs/query.ts). Every field has doc values,
 * as index sorting needs; a document without one sorts last, as the API's sort puts it.
 * https://www.elastic.co/docs/reference/elasticsearch/index-settings/sorting,
 * https://docs.opensearch.org/latest/install-and-configure/configuring-opensearch/index-settings/
 */
export const LINES_INDEX_SORT = ['labels.job_id', 'joblogs.captured', 'joblogs.source', 'event.sequence'] as const;

/** The index settings of the lines' backing indices that come with their mappings: the sort, where the plan has it. */
export function linesIndexSettings(plan: MappingPlan): Record<string, unknown> {
  if (!plan.storage.sorted) return {};
  return { 'index.sort.field': [...LINES_INDEX_SORT], 'index.sort.order': LINES_INDEX_SORT.map(() => 'asc') };
}

function counters(names: readonly string[]): Record<string, { type: 'long' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'long' as const }]));
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
        counts: {
          properties: {
            documents: { type: 'long' },
            other_levels: { type: 'long' },
            levels: { properties: counters(RECORDED_LEVELS) },
            streams: { properties: counters(COUNTED_STREAMS) },
          },
        },
      },
    },
  },
} as const;
