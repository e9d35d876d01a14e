import * as z from '../core/zod.js';
import { ConfigError } from '../core/errors.js';
import { defaultDataViewId } from '../core/access/kibana.js';

/** Loopback hosts may use plain http (local issuer, moto, tests); everything else must be https. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const secureUrl = z.url().check(
  z.refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  }, 'must be an https URL (plain http only on loopback)'),
);
const withDefault = <T extends z.ZodMiniType>(schema: T, value: z.output<T>) => z._default(schema, value as never);
const bool = z.pipe(withDefault(z.enum(['true', 'false']), 'false'), z.transform((v) => v === 'true'));

/**
 * Everything the signer reads from its environment, validated once at cold start.
 * Nothing else in the signer reads `process.env`.
 */
const SignerEnv = z.object({
  STAGE: z.string().check(z.regex(/^[a-z0-9_]{1,32}$/, 'lowercase letters, digits, underscore')),
  LOG_BUCKET: z.string().check(z.minLength(3)),
  JOB_PREFIX: withDefault(z.string(), 'jobs/'),
  DOWNLOAD_PREFIX: withDefault(z.string(), 'downloads/'),
  /** Queue of the assembler: a running job's partial file is (re)built on demand through it. */
  ASSEMBLE_QUEUE_URL: z.url(),
  /** Must equal the token's `iss` exactly (and the HTTP API JWT authorizer's issuer). */
  JWT_ISSUER: secureUrl,
  /** Comma-separated; the token's `aud` must contain one of them. */
  JWT_AUDIENCE: z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean)),
  ),
  /** Unset: the `jwks_uri` of the issuer's OpenID discovery document, as the HTTP API authorizer does. */
  JWT_JWKS_URL: z.optional(secureUrl),
  /** Claim with the caller's teams: a JSON array of strings or one space-separated string. */
  JWT_TEAMS_CLAIM: withDefault(z.string().check(z.minLength(1)), 'teams'),
  /** The platform UI's origin, e.g. `https://ml.example.com` (no path, no trailing slash). */
  UI_ORIGIN: z.url().check(z.refine((v) => new URL(v).origin === v, 'an origin: scheme://host[:port], nothing after it')),
  KIBANA_URL: z.pipe(z.url(), z.transform((v) => v.replace(/\/+$/, ''))),
  KIBANA_DATA_VIEW_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/))),
  URL_EXPIRY_SECONDS: withDefault(z.coerce.number().check(z.int(), z.minimum(60), z.maximum(3600)), 900),
  /** Path-style S3 URLs: needed for S3-compatible servers on an IP/loopback endpoint (moto). */
  S3_FORCE_PATH_STYLE: bool,
});

export interface SignerConfig {
  stage: string;
  logBucket: string;
  jobPrefix: string;
  downloadPrefix: string;
  assembleQueueUrl: string;
  jwt: {
    issuer: string;
    audience: string[];
    jwksUrl: string | undefined;
    teamsClaim: string;
  };
  uiOrigin: string;
  kibana: { url: string; dataViewId: string };
  urlExpirySeconds: number;
  s3ForcePathStyle: boolean;
}

/** Parses the environment; throws one {@link ConfigError} listing every bad variable. */
export function loadSignerConfig(env: NodeJS.ProcessEnv = process.env): SignerConfig {
  const parsed = SignerEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid signer configuration: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  return {
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    jobPrefix: e.JOB_PREFIX,
    downloadPrefix: e.DOWNLOAD_PREFIX,
    assembleQueueUrl: e.ASSEMBLE_QUEUE_URL,
    jwt: { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, jwksUrl: e.JWT_JWKS_URL, teamsClaim: e.JWT_TEAMS_CLAIM },
    uiOrigin: e.UI_ORIGIN,
    kibana: { url: e.KIBANA_URL, dataViewId: e.KIBANA_DATA_VIEW_ID ?? defaultDataViewId(e.STAGE) },
    urlExpirySeconds: e.URL_EXPIRY_SECONDS,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}
