/**
 * Elasticsearch over plain HTTP, for tests, benchmarks and the load run: what a user would see
 * (the official client refuses `_source`s with a `__proto__` key, secure-json-parse), one request
 * helper, the readers of what the indexer wrote, and emptying a data stream between runs.
 *
 * Every helper takes the Elasticsearch to talk to: an endpoint, or anything carrying the stack
 * file (`LocalStack`).
 *
 * @example
 * const docs = await jobDocuments(stack, 'logs-mlplatform.job-local', jobId);   // printed order
 * await resetDataStream(stack.info.elasticsearch, 'logs-mlplatform.job-bench');
 */
import { setupCluster, type SetupReport } from '../shared/adapters/search/setup.js';
import { secretSigner } from '../shared/adapters/search/signers.js';
import { httpTransport } from '../shared/adapters/search/transport.js';
import { storedAsWritten, templateNames, templateRequests, type ClusterKind } from '../shared/core/cluster/index.js';
import type { ProvisionedStack } from './stack/stack-file.js';

export interface EsEndpoint {
  url: string;
  username: string;
  password: string;
}

export type EsTarget = EsEndpoint | { info: Pick<ProvisionedStack, 'elasticsearch'> };

/** A cluster with its kind: the stack's, or its recorded instance. */
export type KindedTarget = (EsEndpoint & { kind: ClusterKind }) | { info: Pick<ProvisionedStack, 'elasticsearch'> };

const endpointOf = (es: EsTarget): EsEndpoint => ('info' in es ? es.info.elasticsearch : es);

/** One JSON request; throws with the status and the start of the answer unless it is 2xx. */
export async function esRequest(target: EsTarget, method: string, path: string, body?: unknown): Promise<any> {
  const es = endpointOf(target);
  const response = await fetch(`${es.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${es.username}:${es.password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

export async function refresh(es: EsTarget, dataStream: string): Promise<void> {
  await esRequest(es, 'POST', `/${dataStream}/_refresh?ignore_unavailable=true`);
}

const jobQuery = (jobId: string) => ({ term: { 'labels.job_id': jobId } });

/** Documents of one job, after a refresh. */
/** `index.store.stats_refresh_interval`'s default (10 s) and a margin: store sizes are cached that long per index. */
const STORE_STATS_MS = 11_000;

/**
 * One copy's bytes on disk of a data stream once merged into one segment (what the cost model
 * and bench/search-storage.ts report): force-merge, then wait out the store size's cache before
 * reading `_stats` — read at once, it may still be the size before the merge.
 */
export async function mergedStoreBytes(es: EsTarget, dataStream: string): Promise<{ storeBytes: number; docs: number }> {
  await esRequest(es, 'POST', `/${dataStream}/_forcemerge?max_num_segments=1`);
  await new Promise((resolve) => setTimeout(resolve, STORE_STATS_MS));
  const stats = await esRequest(es, 'GET', `/${dataStream}/_stats/store,docs`);
  return { storeBytes: Number(stats._all.primaries.store.size_in_bytes), docs: Number(stats._all.primaries.docs.count) };
}

export async function countJobDocuments(es: EsTarget, dataStream: string, jobId: string): Promise<number> {
  await refresh(es, dataStream);
  return countDocuments(es, dataStream, jobQuery(jobId));
}

/** Documents matching `query`, without a refresh: what is searchable now. */
export async function countDocuments(es: EsTarget, dataStream: string, query: unknown): Promise<number> {
  const out = await esRequest(es, 'POST', `/${dataStream}/_count?ignore_unavailable=true`, { query });
  return out.count as number;
}

/** A document as read back from Elasticsearch. */
export interface JobDocument {
  _id: string;
  _source: Record<string, any>;
}

export interface JobDocumentsOptions {
  /** Only the first and last `edge` documents (for jobs of a million lines). */
  edge?: number;
  /** Only these `_source` fields (default: all). */
  fields?: string[];
  /** Refresh first (default true). */
  refresh?: boolean;
}

const PAGE = 5_000;

/** A job's documents in printed order (source, then `event.sequence`): every page, or the edges. */
export async function jobDocuments(es: EsTarget, dataStream: string, jobId: string, options: JobDocumentsOptions = {}): Promise<JobDocument[]> {
  if (options.refresh !== false) await refresh(es, dataStream);
  const sort = (order: 'asc' | 'desc') => [{ 'joblogs.source': order }, { 'event.sequence': order }];
  const page = async (order: 'asc' | 'desc', size: number, after?: unknown[]): Promise<Array<JobDocument & { sort: unknown[] }>> =>
    (
      await esRequest(es, 'POST', `/${dataStream}/_search?ignore_unavailable=true`, {
        size,
        query: jobQuery(jobId),
        sort: sort(order),
        track_total_hits: false,
        ...(options.fields ? { _source: options.fields } : {}),
        ...(after ? { search_after: after } : {}),
      })
    ).hits.hits;
  if (options.edge !== undefined) {
    const first = await page('asc', options.edge);
    const last = (await page('desc', options.edge)).reverse();
    const seen = new Set(first.map((d) => d._id));
    return [...first, ...last.filter((d) => !seen.has(d._id))];
  }
  const all: JobDocument[] = [];
  for (let after: unknown[] | undefined; ; ) {
    const hits = await page('asc', PAGE, after);
    all.push(...hits);
    if (hits.length < PAGE) return all;
    after = hits.at(-1)!.sort;
  }
}

/** Number of leaf fields in the mappings of every backing index of `dataStream` (the largest). */
export async function mappingFieldCount(es: EsTarget, dataStream: string): Promise<number> {
  const out = await esRequest(es, 'GET', `/${dataStream}/_mapping`);
  return Math.max(...Object.values(out as Record<string, { mappings: Record<string, unknown> }>).map((m) => leafFields(m.mappings['properties'])));
}

export function leafFields(properties: unknown): number {
  let n = 0;
  for (const field of Object.values((properties ?? {}) as Record<string, Record<string, unknown>>)) {
    n += field['properties'] ? leafFields(field['properties']) : 1;
    if (field['fields']) n += Object.keys(field['fields'] as object).length;
  }
  return n;
}

/**
 * Empties a data stream so the next run `create`s without 409s. Deleting the stream is the clean
 * way; the local (integ-test) Elasticsearch distribution has no data-streams module (no
 * `DELETE /_data_stream`, 400/405), so there the stream is rolled over to a fresh write index and
 * its older backing indices are deleted (document ids are unique per backing index).
 */
export async function resetDataStream(es: EsTarget, dataStream: string): Promise<void> {
  try {
    await esRequest(es, 'DELETE', `/_data_stream/${dataStream}`);
    return;
  } catch (error) {
    if (/HTTP 404/.test(String(error))) return;
    if (!/HTTP 40[05]/.test(String(error))) throw error;
  }
  const backing = (await esRequest(es, 'GET', `/_cat/indices/.ds-${dataStream}-*?h=index&format=json&expand_wildcards=all`)) as Array<{ index: string }>;
  if (backing.length === 0) return;
  const { new_index: fresh } = await esRequest(es, 'POST', `/${dataStream}/_rollover`);
  for (const { index } of backing) if (index !== fresh) await esRequest(es, 'DELETE', `/${index}`);
}

/**
 * The deploy step's templates of `stage` on a local cluster (benchmarks and some tests write into
 * stages of their own), exactly as deploy/es-setup.ts installs them; retention is not enforced by
 * the local test distributions, and says nothing about it.
 */
export async function installStageTemplates(target: KindedTarget, stage: string, retentionDays = 1): Promise<SetupReport> {
  const es = 'info' in target ? target.info.elasticsearch : target;
  const transport = httpTransport({ node: es.url, sign: secretSigner({ username: es.username, password: es.password }), requestTimeoutMs: 30_000 });
  return setupCluster(transport, { declared: es.kind, stage, retentionDays, lifecycle: 'optional' });
}

/**
 * Removes what {@link installStageTemplates} installed for `stage`: its index templates, then the
 * component templates they use, and its ISM policy (OpenSearch). Each refusal is left as it is:
 * a template is refused while a data stream still uses it (the local Elasticsearch test
 * distributions cannot delete data streams), and a cluster without ISM has no policy to delete.
 */
export async function removeStageTemplates(target: EsTarget, stage: string): Promise<void> {
  const names = templateNames(stage);
  for (const path of [
    `/_index_template/${names.index}`,
    `/_index_template/${names.chunks}`,
    `/_component_template/${names.mappings}`,
    `/_component_template/${names.settings}`,
    `/_plugins/_ism/policies/${names.retention}`,
  ])
    await esRequest(target, 'DELETE', path).catch(() => undefined);
}

/**
 * The templates of `stage` as every stage had them before issue 17 (stored `_source`, default
 * codec, every field indexed): the storage benchmark's baseline, and the older backing indices a
 * deployed stage still holds. A new backing index (rollover) takes whatever is installed then.
 */
export async function installStoredAsWrittenTemplates(target: KindedTarget, stage: string, retentionDays = 1): Promise<void> {
  const { plan } = await installStageTemplates(target, stage, retentionDays);
  for (const request of templateRequests({ stage, retentionDays, plan: storedAsWritten(plan) }))
    await esRequest(target, request.method, request.path, request.body);
}

/**
 * Points one data stream at the component templates of `stage` (an index template above the
 * stages' own, priority 300), with `settings` on top: its next backing index takes them. For tests
 * that need one stream shaped otherwise than the stage's — stored as before, never refreshed.
 */
export async function overrideStreamTemplates(
  es: EsTarget,
  o: { name: string; dataStream: string; stage: string; settings?: Record<string, unknown> },
): Promise<void> {
  const names = templateNames(o.stage);
  await esRequest(es, 'PUT', `/_index_template/${o.name}`, {
    index_patterns: [o.dataStream],
    data_stream: {},
    priority: 400,
    composed_of: [names.mappings, names.settings],
    ...(o.settings ? { template: { settings: o.settings } } : {}),
  });
}

/**
 * Ages a job out of the cluster as retention would: deletes its documents and its chunk records
 * (those matching `only` too, when given: a part of the job in an older backing index), then refreshes, so searches no longer see them. Bulk deletes on the backing indices: the local
 * test distributions have no `_delete_by_query` (it lives in the reindex module).
 */
export async function deleteJobDocuments(es: EsTarget, stage: string, jobId: string, only?: object): Promise<number> {
  const query = only ? { bool: { filter: [jobQuery(jobId), only] } } : jobQuery(jobId);
  let deleted = 0;
  for (const stream of [`logs-mlplatform.*-${stage}`, `joblogs-chunks-${stage}`]) {
    for (;;) {
      await refresh(es, stream);
      const found = await esRequest(es, 'POST', `/${stream}/_search?ignore_unavailable=true`, { size: 5000, _source: false, query });
      const hits = (found.hits?.hits ?? []) as Array<{ _index: string; _id: string }>;
      if (hits.length === 0) break;
      await esBulk(es, `${hits.map((h) => JSON.stringify({ delete: { _index: h._index, _id: h._id } })).join('\n')}\n`);
      deleted += hits.length;
    }
  }
  return deleted;
}

/** One `_bulk` request of NDJSON `body`, refreshed; throws unless it is 2xx and every item went through. */
export async function esBulk(target: EsTarget, body: string): Promise<void> {
  const response = await fetch(`${endpointOf(target).url}/_bulk?refresh=true`, {
    method: 'POST',
    headers: { authorization: authOf(target), 'content-type': 'application/x-ndjson' },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /_bulk: HTTP ${response.status} ${text.slice(0, 500)}`);
  const answer = JSON.parse(text) as { errors?: boolean; items?: unknown[] };
  if (answer.errors) throw new Error(`POST /_bulk: items refused: ${JSON.stringify(answer.items).slice(0, 1000)}`);
}

const authOf = (target: EsTarget) => {
  const es = endpointOf(target);
  return `Basic ${Buffer.from(`${es.username}:${es.password}`).toString('base64')}`;
};
