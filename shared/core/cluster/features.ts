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
  /**
   * Not a field type: the cluster keeps a `logsdb` index's `_source` synthetic (rebuilt from doc
   * values) instead of falling back to stored source, which Elasticsearch does below an Enterprise
   * license. Probed by creating a throw-away index (shared/adapters/search/setup.ts).
   */
  syntheticSource: 'synthetic_source',
} as const;
export type MappingFeature = (typeof MappingFeature)[keyof typeof MappingFeature];

/** What the stage's templates use, decided once per kind and cluster by {@link mappingPlan}. */
export interface MappingPlan {
  /**
   * User JSON: never a mapping that grows with what jobs print. `flattened`: one field, `json`
   * (Elasticsearch). `terms`: `json` kept in `_source` only, and its leaves searched as
   * `path=value` keywords in `joblogs.json_kv` (OpenSearch, whose `flat_object` takes no
   * parameters and costs a third of a lean document). `flat_object`: OpenSearch stages before
   * issue 17 (the benchmark's baseline, older backing indices).
   */
  userJson: 'flattened' | 'flat_object' | 'terms';
  /** `message`, `error.message`, `error.stack_trace`. */
  text: 'match_only_text' | 'text';
  /** `data_stream.*`: one value per data stream. */
  constant: 'constant_keyword' | 'keyword';
  /** `@timestamp`: lines carry micro- and nanosecond times (Python, Go). */
  timestamp: 'date_nanos' | 'date';
  /** `index.mode` to set, or none (OpenSearch has no such setting). */
  indexMode: 'standard' | 'logsdb' | undefined;
  lifecycle: 'data-stream-lifecycle' | 'ism';
  /** How documents are kept on disk (docs/search-storage.md). */
  storage: StoragePlan;
}

/** What a line costs on disk: the codec, where `_source` comes from, and which fields have no search index. */
export interface StoragePlan {
  /** `index.codec`: stored fields compressed harder (zstd on Elasticsearch, DEFLATE on OpenSearch). */
  codec: 'best_compression' | 'default';
  /** `synthetic`: `_source` rebuilt from doc values and stored fields (`logsdb`), not kept as written. */
  source: 'synthetic' | 'stored';
  /**
   * Fields that are only displayed get neither a search index nor (with stored source) doc values;
   * fields that are only sorted, ranged or aggregated on keep doc values and lose the search index.
   */
  lean: boolean;
  /**
   * Numbers only sorted, ranged or looked up lose their points index (lean only). Elasticsearch
   * queries doc-values-only numbers since 8.1; OpenSearch only since 2.12 (term) and 2.14, and the
   * `opensearch-2` kind starts at 2.7, so there they keep it.
   */
  numbersWithoutPoints: boolean;
  /**
   * Each backing index of the lines sorted on disk in a job's printed order
   * ({@link LINES_INDEX_SORT}): a job's documents lie together and in the logs API's order, so a
   * page read forwards compares each document once instead of pushing every later line of the job
   * through its top-k queue, and neighbouring documents compress together (docs/search-storage.md,
   * "Sorted on disk").
   */
  sorted: boolean;
}

/** How stages were stored before issue 17: the baseline of bench/search-storage.ts, and what older backing indices hold. */
export const STORED_AS_WRITTEN: StoragePlan = { codec: 'default', source: 'stored', lean: false, numbersWithoutPoints: false, sorted: false };

/** The features worth asking a cluster of this kind about (the deploy step probes each one). */
export function candidateFeatures(kind: ClusterKind): MappingFeature[] {
  // OpenSearch keeps user JSON as keywords (userJsonOf): nothing to probe for it.
  const userJson = KIND_TRAITS[kind].product === 'elasticsearch' ? [MappingFeature.flattened] : [];
  return [...userJson, MappingFeature.matchOnlyText, MappingFeature.constantKeyword, MappingFeature.dateNanos];
}

/** Whether a synthetic `_source` is worth probing for: only Elasticsearch has `logsdb`. */
export function probesSyntheticSource(kind: ClusterKind): boolean {
  return KIND_TRAITS[kind].product === 'elasticsearch';
}

/**
 * The one place that decides the mapping features per kind, from what the cluster turned out to
 * have (test distributions and older minors lack some; detect, never assume):
 *
 * - user JSON: `flattened` on Elasticsearch (required: without it a job's JSON keys would grow the
 *   mapping until it breaks); on OpenSearch, which has no `flattened`, `path=value` keywords
 *   ({@link userJsonOf}; docs/search-storage.md).
 * - `match_only_text` where the cluster has it: the same matches, phrases and highlights for the
 *   logs API (which sorts by position and never scores) without positions and norms on disk.
 * - `constant_keyword` for `data_stream.*` where present (one value per backing index).
 * - `date_nanos` for `@timestamp` (both products have it).
 * - `index.mode: logsdb` on Elasticsearch where the cluster really keeps its `_source` synthetic
 *   (an Enterprise license, or a distribution without the licence check); else `standard`,
 *   explicitly, since 9.x would turn `logs-*-*` streams into `logsdb` with stored source anyway.
 *   What synthetic source changes (`joblogs.captured` comes back as a string of digits; arrays
 *   and `json` are kept as written) touches no reader: docs/search-storage.md.
 * - `index.codec: best_compression` everywhere, and lean fields (see {@link StoragePlan}).
 * - retention: the data stream lifecycle on Elasticsearch, an ISM policy on OpenSearch.
 */
export function mappingPlan(kind: ClusterKind, available: ReadonlySet<string>): MappingPlan {
  const elastic = KIND_TRAITS[kind].product === 'elasticsearch';
  if (elastic && !available.has(MappingFeature.flattened)) {
    throw new UnsupportedClusterError(`The cluster has no flattened field type, where joblogs keeps user JSON (${KIND_TRAITS[kind].label} has it)`);
  }
  const synthetic = elastic && available.has(MappingFeature.syntheticSource);
  return {
    userJson: userJsonOf(kind),
    text: available.has(MappingFeature.matchOnlyText) ? 'match_only_text' : 'text',
    constant: available.has(MappingFeature.constantKeyword) ? 'constant_keyword' : 'keyword',
    timestamp: available.has(MappingFeature.dateNanos) ? 'date_nanos' : 'date',
    indexMode: elastic ? (synthetic ? 'logsdb' : 'standard') : undefined,
    lifecycle: KIND_TRAITS[kind].lifecycle,
    storage: { codec: 'best_compression', source: synthetic ? 'synthetic' : 'stored', lean: true, numbersWithoutPoints: elastic, sorted: true },
  };
}

/** How a kind keeps user JSON searchable: the indexer writes `joblogs.json_kv` where it is `terms`. */
export function userJsonOf(kind: ClusterKind): 'flattened' | 'terms' {
  return KIND_TRAITS[kind].product === 'elasticsearch' ? 'flattened' : 'terms';
}

/** The same plan as stages were stored before issue 17 (the benchmark's baseline; older backing indices). */
export function storedAsWritten(plan: MappingPlan): MappingPlan {
  return {
    ...plan,
    userJson: plan.userJson === 'terms' ? 'flat_object' : plan.userJson,
    indexMode: plan.indexMode === undefined ? undefined : 'standard',
    storage: STORED_AS_WRITTEN,
  };
}
