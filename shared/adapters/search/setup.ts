import {
  candidateFeatures,
  checkDeclaredKind,
  chunkRecordMappingUpdate,
  ismPolicy,
  mappingPlan,
  MappingFeature,
  probesSyntheticSource,
  templateNames,
  templateRequests,
  UnsupportedClusterError,
  type ClusterIdentity,
  type ClusterKind,
  type ClusterRequest,
  type MappingPlan,
} from '../../core/cluster/index.js';
import { PermanentError } from '../../core/errors.js';
import { errorReason, isOk, type ClusterAnswer, type ClusterTransport } from './transport.js';

/** The cluster refused a setup request: its answer says why (credentials, a bad template, a missing privilege). */
export class ClusterSetupError extends PermanentError {
  readonly code = 'CLUSTER_SETUP_FAILED';
}

export interface SetupOptions {
  /** The stage's `clusterKind`: the cluster must be of this kind. */
  declared: ClusterKind;
  stage: string;
  retentionDays: number;
  /**
   * `required` (deploys): a cluster that would not enforce the retention is an error.
   * `optional` (the local test distributions, which lack the lifecycle service or the ISM plugin): a warning.
   */
  lifecycle: 'required' | 'optional';
  warn?: (message: string) => void;
}

export interface SetupReport {
  identity: ClusterIdentity;
  kind: ClusterKind;
  plan: MappingPlan;
  /** Whether this cluster deletes old backing indices itself (false: only the template records the retention). */
  retentionEnforced: boolean;
}

/**
 * The deploy-time setup of one stage on any kind: find out what the cluster is (and refuse one the
 * stage did not declare), probe the mapping features its distribution has, install the templates
 * the plan makes of them, and the retention (data stream lifecycle or ISM). Idempotent.
 */
export async function setupCluster(transport: ClusterTransport, o: SetupOptions): Promise<SetupReport> {
  const identity = await identifyCluster(transport);
  const kind = checkDeclaredKind(o.declared, identity);
  const available = await availableFeatures(transport, candidateFeatures(kind));
  if (probesSyntheticSource(kind) && (await keepsSyntheticSource(transport, o.warn))) available.add(MappingFeature.syntheticSource);
  const plan = mappingPlan(kind, available);
  for (const request of templateRequests({ stage: o.stage, retentionDays: o.retentionDays, plan })) await send(transport, request);
  await addChunkRecordFields(transport, o.stage);
  const retentionEnforced = plan.lifecycle === 'ism' ? await installIsmPolicy(transport, o) : await lifecycleServiceRuns(transport);
  if (!retentionEnforced) {
    const message =
      plan.lifecycle === 'ism'
        ? 'the cluster has no Index State Management plugin: old backing indices would never be deleted'
        : 'the cluster runs no data stream lifecycle: the retention is recorded in the template but not enforced';
    if (o.lifecycle === 'required') throw new UnsupportedClusterError(`Retention of ${o.retentionDays}d cannot be kept: ${message}`);
    o.warn?.(`[es-setup] ${message} (accepted: lifecycle optional)`);
  }
  return { identity, kind, plan, retentionEnforced };
}

/**
 * Product and version. `GET /` is missing from Elasticsearch's test distribution (no rest-root
 * module) and reports a fake 7.10.2 on an Amazon OpenSearch Service domain in compatibility mode,
 * so the version comes from the node itself; every Elasticsearch answer since 7.14 carries
 * `X-Elastic-Product: Elasticsearch`, which OpenSearch never sends.
 */
export async function identifyCluster(transport: ClusterTransport): Promise<ClusterIdentity> {
  const answer = await transport.request<{ nodes?: Record<string, { version?: string }> }>({
    method: 'GET',
    path: '/_nodes/_local',
    query: { filter_path: 'nodes.*.version' },
  });
  if (!isOk(answer))
    throw new ClusterSetupError(`Could not ask the cluster what it is (HTTP ${answer.status}): ${errorReason(answer)}`, { details: { status: answer.status } });
  const version = Object.values(answer.body.nodes ?? {})[0]?.version;
  if (!version) throw new ClusterSetupError('The cluster did not say its version (GET /_nodes/_local)');
  const product = answer.headers['x-elastic-product'] === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
  return { product, version };
}

/**
 * Which of the candidate field types the cluster's distribution has: a template simulated with a
 * field of each type (`POST /_index_template/_simulate`, nothing is stored) either composes or
 * is refused with "No handler for type".
 */
export async function availableFeatures(transport: ClusterTransport, candidates: readonly MappingFeature[]): Promise<Set<MappingFeature>> {
  const found = new Set<MappingFeature>();
  for (const type of candidates) {
    const answer = await transport.request({
      method: 'POST',
      path: '/_index_template/_simulate',
      body: { index_patterns: ['joblogs-feature-probe'], template: { mappings: { properties: { probe: { type } } } } },
    });
    if (isOk(answer)) found.add(type);
    else if (answer.status !== 400) throw new ClusterSetupError(`Probing field type ${type} failed (HTTP ${answer.status}): ${errorReason(answer)}`);
  }
  return found;
}

/** The throw-away index {@link keepsSyntheticSource} creates (hidden, deleted again at once). */
export const SOURCE_PROBE_INDEX = 'joblogs-probe-source-mode';

/**
 * Whether a `logsdb` index on this cluster really keeps its `_source` synthetic. Elasticsearch
 * accepts `index.mode: logsdb` on every licence but, below Enterprise, quietly stores `_source`
 * (`index.mapping.source.mode: stored`, https://www.elastic.co/docs/manage-data/data-store/mapping/synthetic-source),
 * and only a real index says which: one is created, its resolved settings read back, and deleted.
 */
export async function keepsSyntheticSource(transport: ClusterTransport, warn?: (message: string) => void): Promise<boolean> {
  const path = `/${SOURCE_PROBE_INDEX}`;
  await transport.request({ method: 'DELETE', path, query: { ignore_unavailable: true } });
  const created = await transport.request({
    method: 'PUT',
    path,
    body: {
      settings: { 'index.mode': 'logsdb', 'index.number_of_replicas': 0, 'index.hidden': true },
      mappings: { properties: { '@timestamp': { type: 'date' } } },
    },
  });
  if (!isOk(created)) {
    if (created.status === 400) return false;
    if (created.status === 403) {
      // A deployer without the privilege still deploys, with stored `_source` (README, "Deploy").
      warn?.(`[es-setup] may not create the probe index ${SOURCE_PROBE_INDEX} (HTTP 403): index.mode standard, stored _source`);
      return false;
    }
    throw new ClusterSetupError(`Probing the logsdb index mode failed (HTTP ${created.status}): ${errorReason(created)}`);
  }
  try {
    const answer = await transport.request<Record<string, { settings?: Record<string, unknown>; defaults?: Record<string, unknown> }>>({
      method: 'GET',
      path: `${path}/_settings`,
      query: { include_defaults: true, flat_settings: true },
    });
    if (!isOk(answer)) throw new ClusterSetupError(`Reading the probe index's settings failed (HTTP ${answer.status}): ${errorReason(answer)}`);
    const index = Object.values(answer.body)[0] ?? {};
    const mode = index.settings?.['index.mapping.source.mode'] ?? index.defaults?.['index.mapping.source.mode'];
    return String(mode).toLowerCase() === 'synthetic';
  } finally {
    await transport.request({ method: 'DELETE', path });
  }
}

/** Sends one request; `absentOk`: a 404 (what it acts on does not exist) is no failure. */
async function send(transport: ClusterTransport, request: ClusterRequest, o: { absentOk?: boolean } = {}): Promise<ClusterAnswer> {
  const answer = await transport.request({ method: request.method, path: request.path, body: request.body });
  if (!isOk(answer) && !(o.absentOk && answer.status === 404))
    throw new ClusterSetupError(`${request.method} ${request.path} refused (HTTP ${answer.status}): ${errorReason(answer)}`, {
      details: { status: answer.status },
    });
  return answer;
}

/**
 * Fields added to the chunk records' mappings since their data stream's backing indices were
 * created: put into them all (adding a field is allowed; the template only reaches new backing
 * indices). No data stream yet (a new stage) is nothing to do. Records written before a field
 * was mapped have it in `_source` only: readers treat them as without it (logs/summary.ts).
 */
async function addChunkRecordFields(transport: ClusterTransport, stage: string): Promise<void> {
  await send(transport, chunkRecordMappingUpdate(stage), { absentOk: true });
}

/** Elasticsearch's data stream lifecycle service answers its stats endpoint (8.12+) where it runs. */
async function lifecycleServiceRuns(transport: ClusterTransport): Promise<boolean> {
  const answer = await transport.request({ method: 'GET', path: '/_lifecycle/stats' });
  return isOk(answer);
}

/**
 * Creates or updates the stage's ISM policy; false when the cluster has no ISM plugin. An update
 * must name the version it replaces (`if_seq_no`/`if_primary_term`), and it applies to the
 * backing indices created after it: https://docs.opensearch.org/latest/im-plugin/ism/api/
 */
async function installIsmPolicy(transport: ClusterTransport, o: SetupOptions): Promise<boolean> {
  const path = `/_plugins/_ism/policies/${templateNames(o.stage).retention}`;
  const existing = await transport.request<{ _seq_no?: number; _primary_term?: number }>({ method: 'GET', path });
  if (existing.status === 400 || (existing.status === 404 && !isIsmAnswer(existing))) return false;
  const body = ismPolicy(o);
  if (isOk(existing)) {
    await send(transport, { method: 'PUT', path: `${path}?if_seq_no=${existing.body._seq_no}&if_primary_term=${existing.body._primary_term}`, body });
  } else {
    await send(transport, { method: 'PUT', path, body });
  }
  return true;
}

/** A 404 from ISM itself (no such policy yet), not from a cluster that has no such endpoint. */
function isIsmAnswer(answer: ClusterAnswer): boolean {
  return /policy|not_found|status_exception/i.test(JSON.stringify(answer.body));
}
