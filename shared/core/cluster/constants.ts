/**
 * The search clusters joblogs runs on, and how its functions authenticate to them (README,
 * "Search clusters"). The kind is a stage parameter (`clusterKind`); the deploy step checks it
 * against the cluster it finds.
 */
export const ClusterKind = {
  /** Elasticsearch 8.19 and later 8.x. */
  es8: 'es-8',
  /** Elasticsearch 9.x (the default). */
  es9: 'es-9',
  /** OpenSearch 2.x from 2.7 (`flat_object`), self-managed or Amazon OpenSearch Service. */
  opensearch2: 'opensearch-2',
} as const;
export type ClusterKind = (typeof ClusterKind)[keyof typeof ClusterKind];

export const CLUSTER_KINDS: readonly ClusterKind[] = Object.values(ClusterKind);
export const DEFAULT_CLUSTER_KIND: ClusterKind = ClusterKind.es9;

export const ClusterAuth = {
  /** Basic or API key credentials from an SSM SecureString (none when no parameter is named: local only). */
  secret: 'secret',
  /** SigV4 with the function's own role: Amazon OpenSearch Service. */
  iam: 'iam',
} as const;
export type ClusterAuth = (typeof ClusterAuth)[keyof typeof ClusterAuth];

export const CLUSTER_AUTHS: readonly ClusterAuth[] = Object.values(ClusterAuth);

/** The two products behind the kinds. */
export type ClusterProduct = 'elasticsearch' | 'opensearch';

/** Which UI a kind comes with: where the data view / index pattern lives and the Discover links point. */
export type DashboardsKind = 'kibana' | 'opensearch-dashboards';
