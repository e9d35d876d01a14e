import { CLUSTER_AUTHS, CLUSTER_KINDS, ClusterAuth, DEFAULT_CLUSTER_KIND, type ClusterKind } from '../core/cluster/constants.js';
import { KIND_TRAITS } from '../core/cluster/kinds.js';
import { ConfigError } from '../core/errors.js';
import { WATCH_PREFIX, WatchDefaults } from '../core/watch/index.js';
import * as z from '../core/zod.js';

/**
 * How every function reads its environment: one zod/mini schema per function, parsed once at cold
 * start; a bad environment is one {@link ConfigError} that lists every bad variable. Nothing else
 * reads `process.env`. (zod/mini rather than classic zod: it tree-shakes, see `core/zod.ts`.)
 *
 * @example
 * const IndexerEnv = z.pipe(z.object({ ...commonEnv, ES_NODE: z.url() }), z.transform((e) => ({ stage: e.STAGE, esNode: e.ES_NODE })));
 * export type IndexerConfig = z.output<typeof IndexerEnv>;
 * export const loadIndexerConfig = (env = process.env) => parseEnv(IndexerEnv, 'indexer', env);
 */
export function parseEnv<S extends z.ZodMiniType>(schema: S, name: string, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = z.safeParse(schema, env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid ${name} configuration: ${problems.join('; ')}`, { problems });
}

/** A schema with a default (zod/mini spells it `_default`). */
export const withDefault = <T extends z.ZodMiniType>(schema: T, value: z.output<T>) => z._default(schema, value as never);

/** `"true"` / `"false"`, default false. */
export const flag = z.pipe(
  withDefault(z.enum(['true', 'false']), 'false'),
  z.transform((v) => v === 'true'),
);

/** An integer from its decimal text, within bounds, with a default. */
export const intVar = (o: { min: number; max?: number; default: number }) =>
  withDefault(z.coerce.number().check(z.int(), z.minimum(o.min), ...(o.max === undefined ? [] : [z.maximum(o.max)])), o.default);

/** A key prefix in the log bucket. */
export const prefixVar = (value: string) => withDefault(z.string(), value);

/** Loopback hosts may use plain http (local issuer, moto, tests); everything else must be https. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
export const secureUrl = z.url().check(
  z.refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  }, 'must be an https URL (plain http only on loopback)'),
);

/** The variables every function has. */
export const commonEnv = {
  STAGE: z.string().check(z.regex(/^[a-z0-9_]{1,32}$/, 'lowercase letters, digits, underscore')),
  LOG_BUCKET: z.string().check(z.minLength(3)),
  /** Path-style S3 URLs: needed for S3-compatible servers on an IP/loopback endpoint (moto). */
  S3_FORCE_PATH_STYLE: flag,
};

/** The variables of every HTTP function: the identity provider and the UI's origin. */
export const httpEnv = {
  /** Must equal the token's `iss` exactly (and the HTTP API JWT authorizer's issuer). */
  JWT_ISSUER: secureUrl,
  /** Comma-separated; the token's `aud` must contain one of them. */
  JWT_AUDIENCE: z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
  ),
  /** Unset: the `jwks_uri` of the issuer's OpenID discovery document, as the HTTP API authorizer does. */
  JWT_JWKS_URL: z.optional(secureUrl),
  /** Claim with the caller's teams: a JSON array of strings or one space-separated string. */
  JWT_TEAMS_CLAIM: withDefault(z.string().check(z.minLength(1)), 'teams'),
  /** The platform UI's origin, e.g. `https://ml.example.com` (no path, no trailing slash). */
  UI_ORIGIN: z.url().check(z.refine((v) => new URL(v).origin === v, 'an origin: scheme://host[:port], nothing after it')),
};

/** The `jwt` part of an HTTP function's configuration. */
export function jwtConfig(e: { JWT_ISSUER: string; JWT_AUDIENCE: string[]; JWT_JWKS_URL?: string | undefined; JWT_TEAMS_CLAIM: string }) {
  return { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, jwksUrl: e.JWT_JWKS_URL, teamsClaim: e.JWT_TEAMS_CLAIM };
}

/** The variables of every function that talks to the search cluster (README, "Search clusters"). */
export const clusterEnv = {
  /** The cluster's URL (Elasticsearch, OpenSearch, an Amazon OpenSearch Service domain endpoint). */
  ES_NODE: z.url(),
  CLUSTER_KIND: withDefault(z.enum(CLUSTER_KINDS as [ClusterKind, ...ClusterKind[]]), DEFAULT_CLUSTER_KIND),
  /** `secret`: credentials from the function's SSM parameter; `iam`: SigV4 with the function's role. */
  CLUSTER_AUTH: withDefault(z.enum(CLUSTER_AUTHS as [ClusterAuth, ...ClusterAuth[]]), ClusterAuth.secret),
  /** Set by Lambda: the region a SigV4 signature is scoped to. */
  AWS_REGION: z.optional(z.string().check(z.minLength(1))),
};

type ClusterEnv = { ES_NODE: string; CLUSTER_KIND: ClusterKind; CLUSTER_AUTH: ClusterAuth; AWS_REGION?: string | undefined };

/** The combinations of {@link clusterEnv} a function cannot run with: IAM only on OpenSearch, and then with a region. */
export const clusterChecks = [
  z.refine<ClusterEnv>((e) => e.CLUSTER_AUTH !== ClusterAuth.iam || KIND_TRAITS[e.CLUSTER_KIND].iam, {
    error: 'iam (SigV4) is for Amazon OpenSearch Service: CLUSTER_KIND must be opensearch-2',
    path: ['CLUSTER_AUTH'],
  }),
  z.refine<ClusterEnv>((e) => e.CLUSTER_AUTH !== ClusterAuth.iam || !!e.AWS_REGION, {
    error: 'needed with CLUSTER_AUTH=iam (the SigV4 scope)',
    path: ['AWS_REGION'],
  }),
];

/** The `cluster` part of a function's configuration (shared/adapters/search `ClusterConnection`). */
export function clusterConfig(e: ClusterEnv, requestTimeoutMs: number) {
  return { kind: e.CLUSTER_KIND, node: e.ES_NODE, auth: e.CLUSTER_AUTH, region: e.AWS_REGION, requestTimeoutMs };
}

/** The variables of every function that records that someone watches a job (docs/logs-api.md, "Watching"). */
export const watchEnv = {
  /** Where the watch signals go (`<prefix>v1/<jobId>.json`): the one prefix these functions may write. */
  WATCH_PREFIX: prefixVar(WATCH_PREFIX),
  /** How far ahead a watch signal's `until` is set, and how often per job and container it is written. */
  WATCH_SIGNAL_TTL_MS: intVar({ min: 10_000, max: 600_000, default: WatchDefaults.signalTtlMs }),
  WATCH_SIGNAL_EVERY_MS: intVar({ min: 1_000, max: 300_000, default: WatchDefaults.signalEveryMs }),
};

type WatchEnv = { WATCH_PREFIX: string; WATCH_SIGNAL_TTL_MS: number; WATCH_SIGNAL_EVERY_MS: number };

/** A signal is written again before it runs out. */
export const watchChecks = [
  z.refine<WatchEnv>((e) => e.WATCH_SIGNAL_EVERY_MS < e.WATCH_SIGNAL_TTL_MS, {
    error: 'must be shorter than WATCH_SIGNAL_TTL_MS, or a watched job would go unwatched between two writes',
    path: ['WATCH_SIGNAL_EVERY_MS'],
  }),
];

/** The `watch` part of a function's configuration. */
export function watchConfig(e: WatchEnv) {
  return { prefix: e.WATCH_PREFIX, ttlMs: e.WATCH_SIGNAL_TTL_MS, everyMs: e.WATCH_SIGNAL_EVERY_MS };
}
