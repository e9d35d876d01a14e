import { CLUSTER_AUTHS, CLUSTER_KINDS, ClusterAuth, type ClusterKind, type ClusterProduct, type DashboardsKind } from './constants.js';
import { UnsupportedClusterError } from './errors.js';

/** What sets one kind apart from the others, in one table. */
export interface KindTraits {
  product: ClusterProduct;
  label: string;
  major: number;
  /** Oldest minor of `major` that works. */
  minMinor: number;
  dashboards: DashboardsKind;
  /** Retention: Elasticsearch's data stream lifecycle, or OpenSearch's Index State Management plugin. */
  lifecycle: 'data-stream-lifecycle' | 'ism';
  /** Whether the functions may sign with IAM (only Amazon OpenSearch Service verifies SigV4). */
  iam: boolean;
  /** How its highlighter marks a phrase match: one span over the phrase, or each of its words. */
  phraseHighlight: PhraseHighlight;
}

export type PhraseHighlight = 'span' | 'words';

export const KIND_TRAITS: Readonly<Record<ClusterKind, KindTraits>> = {
  // 8.19: the last 8.x minor, maintained beside 9.x; the data stream lifecycle is GA since 8.14.
  'es-8': {
    product: 'elasticsearch',
    label: 'Elasticsearch 8.19+',
    major: 8,
    minMinor: 19,
    dashboards: 'kibana',
    lifecycle: 'data-stream-lifecycle',
    iam: false,
    phraseHighlight: 'span',
  },
  'es-9': {
    product: 'elasticsearch',
    label: 'Elasticsearch 9.x',
    major: 9,
    minMinor: 0,
    dashboards: 'kibana',
    lifecycle: 'data-stream-lifecycle',
    iam: false,
    phraseHighlight: 'span',
  },
  // 2.7: the first with `flat_object`, where stages kept user JSON before issue 17 (docs/search-storage.md).
  'opensearch-2': {
    product: 'opensearch',
    label: 'OpenSearch 2.7+',
    major: 2,
    minMinor: 7,
    dashboards: 'opensearch-dashboards',
    lifecycle: 'ism',
    iam: true,
    phraseHighlight: 'words',
  },
};

/** What a cluster says it is (`GET /_nodes/_local` and the `X-Elastic-Product` header). */
export interface ClusterIdentity {
  product: ClusterProduct;
  /** e.g. `9.2.0`, `2.19.3`. */
  version: string;
}

const supported = CLUSTER_KINDS.map((k) => `${k} (${KIND_TRAITS[k].label})`).join(', ');

/** A kind from its name (the `clusterKind` stage parameter, `--cluster`); anything else is refused with the list. */
export function parseClusterKind(value: string | undefined): ClusterKind {
  const kind = CLUSTER_KINDS.find((k) => k === value);
  if (!kind) throw new UnsupportedClusterError(`Unknown cluster kind "${value ?? ''}": use one of ${supported}`);
  return kind;
}

/** An authentication mode from its name (the `clusterAuth` stage parameter). */
export function parseClusterAuth(value: string | undefined): ClusterAuth {
  const auth = CLUSTER_AUTHS.find((a) => a === value);
  if (!auth) throw new UnsupportedClusterError(`Unknown cluster authentication "${value ?? ''}": use ${CLUSTER_AUTHS.join(' or ')}`);
  return auth;
}

/** The kind a cluster is, or why joblogs cannot run on it. */
export function kindOf(identity: ClusterIdentity): ClusterKind {
  const [major = NaN, minor = NaN] = identity.version.split('.').map(Number);
  const name = `${identity.product === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${identity.version}`;
  const kind = CLUSTER_KINDS.find((k) => KIND_TRAITS[k].product === identity.product && KIND_TRAITS[k].major === major);
  if (!kind) throw new UnsupportedClusterError(`${name} is not supported: joblogs runs on ${supported}`);
  if (minor < KIND_TRAITS[kind].minMinor) throw new UnsupportedClusterError(`${name} is too old for ${kind}: it needs ${KIND_TRAITS[kind].label}`);
  return kind;
}

/** The stage's declared kind must be the cluster's: a mismatch is a deploy-time error naming the fix. */
export function checkDeclaredKind(declared: ClusterKind, identity: ClusterIdentity): ClusterKind {
  const actual = kindOf(identity);
  if (actual !== declared) {
    throw new UnsupportedClusterError(
      `The stage declares clusterKind ${declared}, but the cluster is ${identity.product === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${identity.version}: set clusterKind: ${actual}`,
    );
  }
  return actual;
}

/** IAM (SigV4) is what Amazon OpenSearch Service checks; Elasticsearch takes basic or API key credentials. */
export function checkClusterAuth(kind: ClusterKind, auth: ClusterAuth): void {
  if (auth === ClusterAuth.iam && !KIND_TRAITS[kind].iam) {
    throw new UnsupportedClusterError(
      `clusterAuth iam (SigV4) is for Amazon OpenSearch Service (opensearch-2); ${kind} takes basic or API key credentials from SSM (clusterAuth secret)`,
    );
  }
}
