import type { ClusterKind } from './constants.js';
import { UnsupportedClusterError } from './errors.js';
import { KIND_TRAITS } from './kinds.js';

/** Mapping features that differ between the kinds (and between distributions of one kind). */
export const MappingFeature = {
  flattened: 'flattened',
  flatObject: 'flat_object',
  matchOnlyText: 'match_only_text',
  constantKeyword: 'constant_keyword',
  dateNanos: 'date_nanos',
} as const;
export type MappingFeature = (typeof MappingFeature)[keyof typeof MappingFeature];

/** What the stage's templates use, decided once per kind and cluster by {@link mappingPlan}. */
export interface MappingPlan {
  /** User JSON (`json`): one field, never a mapping that grows with what jobs print. */
  userJson: 'flattened' | 'flat_object';
  /** `message`, `error.message`, `error.stack_trace`. */
  text: 'match_only_text' | 'text';
  /** `data_stream.*`: one value per data stream. */
  constant: 'constant_keyword' | 'keyword';
  /** `@timestamp`: lines carry micro- and nanosecond times (Python, Go). */
  timestamp: 'date_nanos' | 'date';
  /** `index.mode` to set, or none (OpenSearch has no such setting). */
  indexMode: 'standard' | undefined;
  lifecycle: 'data-stream-lifecycle' | 'ism';
}

/** The features worth asking a cluster of this kind about (the deploy step probes each one). */
export function candidateFeatures(kind: ClusterKind): MappingFeature[] {
  const userJson = KIND_TRAITS[kind].product === 'opensearch' ? MappingFeature.flatObject : MappingFeature.flattened;
  return [userJson, MappingFeature.matchOnlyText, MappingFeature.constantKeyword, MappingFeature.dateNanos];
}

/**
 * The one place that decides the mapping features per kind, from what the cluster turned out to
 * have (test distributions and older minors lack some; detect, never assume):
 *
 * - user JSON: `flattened` on Elasticsearch, `flat_object` on OpenSearch (no `flattened` there).
 *   Required: without it a job's JSON keys would grow the mapping until it breaks.
 * - `match_only_text` where the cluster has it: the same matches, phrases and highlights for the
 *   logs API (which sorts by position and never scores) without positions and norms on disk.
 * - `constant_keyword` for `data_stream.*` where present (one value per backing index).
 * - `date_nanos` for `@timestamp` (both products have it).
 * - `index.mode: standard` on Elasticsearch, explicitly: 9.x turns `logs-*-*` streams into
 *   `logsdb` by default, whose synthetic `_source` sorts and de-duplicates arrays (`tags`) and
 *   rewrites `json`; the logs API, Discover and the exactly-once check read `_source` as written.
 * - retention: the data stream lifecycle on Elasticsearch, an ISM policy on OpenSearch.
 */
export function mappingPlan(kind: ClusterKind, available: ReadonlySet<string>): MappingPlan {
  const elastic = KIND_TRAITS[kind].product === 'elasticsearch';
  const userJson = elastic ? MappingFeature.flattened : MappingFeature.flatObject;
  if (!available.has(userJson)) {
    throw new UnsupportedClusterError(`The cluster has no ${userJson} field type, where joblogs keeps user JSON (${KIND_TRAITS[kind].label} has it)`);
  }
  return {
    userJson,
    text: available.has(MappingFeature.matchOnlyText) ? 'match_only_text' : 'text',
    constant: available.has(MappingFeature.constantKeyword) ? 'constant_keyword' : 'keyword',
    timestamp: available.has(MappingFeature.dateNanos) ? 'date_nanos' : 'date',
    indexMode: elastic ? 'standard' : undefined,
    lifecycle: KIND_TRAITS[kind].lifecycle,
  };
}
