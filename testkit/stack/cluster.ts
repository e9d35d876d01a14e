/**
 * The local stack's search cluster, of any kind: `es-9` (the default), `es-8` or `opensearch-2`
 * (`npm run stack:up -- --cluster opensearch-2`, or `JOBLOGS_CLUSTER=…` for `npm test` and the
 * integration tests). One table says how to start, find and stop each; the rest of the stack
 * only sees an {@link EsInstance} with its `kind`.
 */
import { CLUSTER_KINDS, ClusterKind, DEFAULT_CLUSTER_KIND, parseClusterKind } from '../../shared/core/cluster/index.js';
import { elasticsearchFailedToBind, ensureEsUsers, findOurElasticsearch, startElasticsearch } from './elasticsearch.js';
import { clusterHealthy, loadOrCreateCredentials, READER_USERNAME, type EsInstance, type EsSettings } from './jvm-node.js';
import { findOurOpenSearch, openSearchFailedToBind, startOpenSearch } from './opensearch.js';
import { isOurProcess, stopProcessGroup } from './process.js';

export type { EsInstance, EsSettings } from './jvm-node.js';

interface LocalDistribution {
  start(settings: EsSettings): Promise<EsInstance>;
  /** Live nodes of ours, answering or not. */
  find(): EsInstance[];
  failedToBind(): boolean;
  /** Creates the users a node checks (a running node reloads them); nothing where no security runs. */
  ensureUsers(): void;
  /** In every process of the node's group: tells ours from a reused pid. */
  marker: string;
  /** Whether the local cluster checks credentials (and so the reader's read-only identity). */
  security: boolean;
}

const DISTRIBUTIONS: Record<ClusterKind, LocalDistribution> = {
  'es-8': {
    start: (s) => startElasticsearch('es-8', s),
    find: () => findOurElasticsearch('es-8'),
    failedToBind: () => elasticsearchFailedToBind('es-8'),
    ensureUsers: () => ensureEsUsers('es-8'),
    marker: 'elasticsearch',
    security: true,
  },
  'es-9': {
    start: (s) => startElasticsearch('es-9', s),
    find: () => findOurElasticsearch('es-9'),
    failedToBind: () => elasticsearchFailedToBind('es-9'),
    ensureUsers: () => ensureEsUsers('es-9'),
    marker: 'elasticsearch',
    security: true,
  },
  'opensearch-2': {
    start: startOpenSearch,
    find: findOurOpenSearch,
    failedToBind: openSearchFailedToBind,
    ensureUsers: () => undefined,
    marker: 'opensearch',
    security: false,
  },
};

/** The kind asked for by `JOBLOGS_CLUSTER` (unset: none asked; the default is es-9). */
export function requestedClusterKind(env: NodeJS.ProcessEnv = process.env): ClusterKind | undefined {
  const value = env['JOBLOGS_CLUSTER'];
  return value ? parseClusterKind(value) : undefined;
}

export const defaultClusterKind = (): ClusterKind => requestedClusterKind() ?? DEFAULT_CLUSTER_KIND;

export const startCluster = (kind: ClusterKind, settings: EsSettings): Promise<EsInstance> => DISTRIBUTIONS[kind].start(settings);
export const clusterFailedToBind = (kind: ClusterKind): boolean => DISTRIBUTIONS[kind].failedToBind();
export const ensureClusterUsers = (kind: ClusterKind): void => DISTRIBUTIONS[kind].ensureUsers();

/** Whether the local cluster of `kind` checks credentials (OpenSearch's test distribution has no security plugin). */
export const clusterChecksCredentials = (kind: ClusterKind): boolean => DISTRIBUTIONS[kind].security;

/** Every node of ours of any kind that is alive, answering or not. */
export function findOurClusters(): EsInstance[] {
  return CLUSTER_KINDS.flatMap((kind) => DISTRIBUTIONS[kind].find());
}

export function clusterRunning(instance: Pick<EsInstance, 'pid' | 'kind'> | undefined): boolean {
  return !!instance && isOurProcess(instance.pid, DISTRIBUTIONS[instance.kind ?? ClusterKind.es9].marker);
}

export async function clusterUsable(instance: EsInstance | undefined): Promise<boolean> {
  return !!instance && clusterRunning(instance) && (await clusterHealthy(instance.url, instance.username, instance.password).catch(() => false));
}

/** Stops a node (the launcher and the server JVM it forked); keeps its data directory. */
export async function stopCluster(instance: Pick<EsInstance, 'pid' | 'kind'>): Promise<void> {
  await stopProcessGroup(instance.pid, DISTRIBUTIONS[instance.kind ?? ClusterKind.es9].marker, 60_000);
}

/** The reader's credentials as the logs API gets them (through SSM). */
export function readerCredentials(): { username: string; password: string } {
  return { username: READER_USERNAME, password: loadOrCreateCredentials().readerPassword };
}
