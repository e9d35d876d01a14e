import type { Client } from '@elastic/elasticsearch';
import { chunkRecordStream } from '../../core/ingest/index.js';

export interface TemplateOptions {
  stage: string;
  /** Data stream lifecycle retention (https://www.elastic.co/docs/manage-data/lifecycle/data-stream). */
  retentionDays: number;
}

const keyword = { type: 'keyword', ignore_above: 1024 } as const;

/**
 * ECS mappings of every field the indexer writes. `dynamic: false` at the root means a field we did
 * not plan for is kept in `_source` but never grows the mapping; user JSON goes to one `flattened`
 * field (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/flattened).
 */
export const ecsMappings = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date_nanos' },
    message: { type: 'text' },
    log: { properties: { level: keyword, logger: keyword } },
    trace: { properties: { id: keyword } },
    span: { properties: { id: keyword } },
    service: { properties: { name: keyword } },
    host: { properties: { name: keyword } },
    container: { properties: { id: keyword } },
    error: { properties: { message: { type: 'text' }, type: keyword, stack_trace: { type: 'text' } } },
    event: { properties: { dataset: keyword, sequence: { type: 'long' } } },
    data_stream: { properties: { type: keyword, dataset: keyword, namespace: keyword } },
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
    json: { type: 'flattened', depth_limit: 20, ignore_above: 8191 },
  },
} as const;

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

export function templateNames(stage: string) {
  return {
    mappings: `joblogs-${stage}-ecs-mappings`,
    settings: `joblogs-${stage}-settings`,
    index: `joblogs-${stage}-logs`,
    chunks: `joblogs-${stage}-chunks`,
  };
}

/** Data streams this stage writes: `logs-mlplatform.<name>-<stage>`. */
export function dataStreamPattern(stage: string): string {
  return `logs-mlplatform.*-${stage}`;
}

/**
 * Installs (or updates) the component and index templates. PUT replaces, so running it again
 * is harmless; deploy runs it, and so do the tests.
 */
export async function installIndexTemplates(client: Client, options: TemplateOptions): Promise<void> {
  const names = templateNames(options.stage);
  await client.cluster.putComponentTemplate({
    name: names.mappings,
    template: { mappings: ecsMappings as never },
    _meta: { managed_by: 'joblogs', description: 'ECS mappings of joblogs documents' },
  });
  await client.cluster.putComponentTemplate({
    name: names.settings,
    template: {
      settings: {
        // One replica where there is a second node, none on a single-node cluster.
        'index.auto_expand_replicas': '0-1',
        'index.mapping.total_fields.limit': 200,
        'index.refresh_interval': '1s',
      },
      lifecycle: { data_retention: `${options.retentionDays}d` },
    },
    _meta: { managed_by: 'joblogs' },
  });
  await client.indices.putIndexTemplate({
    name: names.index,
    index_patterns: [dataStreamPattern(options.stage)],
    data_stream: {},
    // Above the built-in `logs-*-*` template (priority 100).
    priority: 300,
    composed_of: [names.mappings, names.settings],
    _meta: { managed_by: 'joblogs', stage: options.stage },
  });
  await client.indices.putIndexTemplate({
    name: names.chunks,
    index_patterns: [chunkRecordStream(options.stage)],
    data_stream: {},
    priority: 300,
    template: { mappings: chunkRecordMappings as never },
    composed_of: [names.settings],
    _meta: { managed_by: 'joblogs', stage: options.stage },
  });
}
