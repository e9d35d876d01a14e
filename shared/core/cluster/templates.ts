import { chunkRecordStream } from '../ingest/chunk-record.js';
import type { MappingPlan } from './features.js';
import { chunkRecordMappings, ecsMappings, linesIndexSettings } from './mappings.js';

/** One request of the deploy step, as data: what the setup sends is testable without a cluster. */
export interface ClusterRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface StageTemplates {
  stage: string;
  /** Days a backing index is kept after it stopped being written (rolled over). */
  retentionDays: number;
  plan: MappingPlan;
}

export function templateNames(stage: string) {
  return {
    mappings: `joblogs-${stage}-ecs-mappings`,
    settings: `joblogs-${stage}-settings`,
    index: `joblogs-${stage}-logs`,
    chunks: `joblogs-${stage}-chunks`,
    /** The ISM policy (OpenSearch). */
    retention: `joblogs-${stage}-retention`,
  };
}

/** Data streams of this stage's lines: `logs-mlplatform.<name>-<stage>`. */
export function dataStreamPattern(stage: string): string {
  return `logs-mlplatform.*-${stage}`;
}

/**
 * The component and index templates of a stage, for either product (both have composable
 * templates and data streams). PUT replaces, so sending them again is harmless.
 */
export function templateRequests(o: StageTemplates): ClusterRequest[] {
  const names = templateNames(o.stage);
  const settings: Record<string, unknown> = {
    // One replica where there is a second node, none on a single-node cluster.
    'index.auto_expand_replicas': '0-1',
    'index.mapping.total_fields.limit': 200,
    'index.refresh_interval': '1s',
  };
  if (o.plan.indexMode) settings['index.mode'] = o.plan.indexMode;
  // https://www.elastic.co/docs/reference/elasticsearch/index-settings/index-modules#index-codec,
  // https://docs.opensearch.org/latest/im-plugin/index-codecs/ (a new backing index takes it; older ones keep theirs).
  if (o.plan.storage.codec !== 'default') settings['index.codec'] = o.plan.storage.codec;
  const settingsTemplate: Record<string, unknown> = { settings };
  // https://www.elastic.co/docs/manage-data/lifecycle/data-stream (OpenSearch: the ISM policy instead).
  if (o.plan.lifecycle === 'data-stream-lifecycle') settingsTemplate['lifecycle'] = { data_retention: `${o.retentionDays}d` };
  const meta = { managed_by: 'joblogs', stage: o.stage };
  return [
    {
      method: 'PUT',
      path: `/_component_template/${names.mappings}`,
      // The lines' sort on disk comes with the mappings it names (the chunk records share only the settings).
      body: {
        template: { mappings: ecsMappings(o.plan), settings: linesIndexSettings(o.plan) },
        _meta: { ...meta, description: 'ECS mappings of joblogs documents, and the order they are kept in' },
      },
    },
    { method: 'PUT', path: `/_component_template/${names.settings}`, body: { template: settingsTemplate, _meta: meta } },
    {
      method: 'PUT',
      path: `/_index_template/${names.index}`,
      // Above Elasticsearch's built-in `logs-*-*` template (priority 100).
      body: { index_patterns: [dataStreamPattern(o.stage)], data_stream: {}, priority: 300, composed_of: [names.mappings, names.settings], _meta: meta },
    },
    {
      method: 'PUT',
      path: `/_index_template/${names.chunks}`,
      body: {
        index_patterns: [chunkRecordStream(o.stage)],
        data_stream: {},
        priority: 300,
        template: { mappings: chunkRecordMappings },
        composed_of: [names.settings],
        _meta: meta,
      },
    },
  ];
}

/**
 * The chunk records' own fields (`joblogs.*`) put into the backing indices their data stream
 * already has. Not `@timestamp`: a data stream refuses to be sent its timestamp's mapping again
 * where its index mode adds attributes to it (logsdb's `ignore_malformed`).
 */
export function chunkRecordMappingUpdate(stage: string): ClusterRequest {
  return { method: 'PUT', path: `/${chunkRecordStream(stage)}/_mapping`, body: { properties: { joblogs: chunkRecordMappings.properties.joblogs } } };
}

/**
 * How long a backing index is written before it rolls over, as Elasticsearch's data stream
 * lifecycle picks it for a retention (its `max_age: auto`), so both products keep about as much.
 */
export function rolloverAge(retentionDays: number): string {
  if (retentionDays <= 14) return '1d';
  if (retentionDays <= 90) return '7d';
  return '30d';
}

/**
 * The OpenSearch ISM policy of a stage: roll each backing index over (by age, or at 50 GB a
 * shard), delete it `retentionDays` after its rollover. `ism_template` attaches it to every new
 * backing index of the stage's data streams (ISM matches a backing index by its data stream's
 * name: https://docs.opensearch.org/latest/im-plugin/data-streams/).
 */
export function ismPolicy(o: Pick<StageTemplates, 'stage' | 'retentionDays'>): { policy: Record<string, unknown> } {
  return {
    policy: {
      description: `joblogs ${o.stage}: roll over, delete ${o.retentionDays}d after rollover`,
      default_state: 'hot',
      states: [
        {
          name: 'hot',
          actions: [{ rollover: { min_index_age: rolloverAge(o.retentionDays), min_primary_shard_size: '50gb' } }],
          transitions: [{ state_name: 'delete', conditions: { min_rollover_age: `${o.retentionDays}d` } }],
        },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [dataStreamPattern(o.stage), chunkRecordStream(o.stage)], priority: 100 }],
    },
  };
}
