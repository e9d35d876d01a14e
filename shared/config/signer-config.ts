import { defaultDataViewId } from '../core/access/kibana.js';
import { CLUSTER_KINDS, DEFAULT_CLUSTER_KIND, type ClusterKind } from '../core/cluster/constants.js';
import { KIND_TRAITS } from '../core/cluster/kinds.js';
import * as z from '../core/zod.js';
import { commonEnv, httpEnv, intVar, jwtConfig, parseEnv, prefixVar, watchChecks, watchConfig, watchEnv, withDefault } from './env.js';

/** Everything the signer reads from its environment (docs/downloads.md). */
const SignerEnv = z.pipe(
  z
    .object({
      ...commonEnv,
      JOB_PREFIX: prefixVar('jobs/'),
      DOWNLOAD_PREFIX: prefixVar('downloads/'),
      /** Queue of the assembler: a running job's partial file is (re)built on demand through it. */
      ASSEMBLE_QUEUE_URL: z.url(),
      ...httpEnv,
      /** Kibana's base URL, or OpenSearch Dashboards' (`https://<domain>/_dashboards` on Amazon OpenSearch Service). */
      KIBANA_URL: z.pipe(
        z.url(),
        z.transform((v) => v.replace(/\/+$/, '')),
      ),
      /** Which UI the Discover links are for: Kibana, or OpenSearch Dashboards with opensearch-2. */
      CLUSTER_KIND: withDefault(z.enum(CLUSTER_KINDS as [ClusterKind, ...ClusterKind[]]), DEFAULT_CLUSTER_KIND),
      KIBANA_DATA_VIEW_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/))),
      URL_EXPIRY_SECONDS: intVar({ min: 60, max: 3600, default: 900 }),
      /** A running job's logs asked for: recorded as watched, so its shippers flush often (docs/downloads.md). */
      ...watchEnv,
    })
    .check(...watchChecks),
  z.transform((e) => ({
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    jobPrefix: e.JOB_PREFIX,
    downloadPrefix: e.DOWNLOAD_PREFIX,
    assembleQueueUrl: e.ASSEMBLE_QUEUE_URL,
    jwt: jwtConfig(e),
    uiOrigin: e.UI_ORIGIN,
    kibana: { url: e.KIBANA_URL, dataViewId: e.KIBANA_DATA_VIEW_ID ?? defaultDataViewId(e.STAGE), dashboards: KIND_TRAITS[e.CLUSTER_KIND].dashboards },
    urlExpirySeconds: e.URL_EXPIRY_SECONDS,
    watch: watchConfig(e),
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  })),
);

export type SignerConfig = z.output<typeof SignerEnv>;

/** Parses the environment once; throws one ConfigError listing every bad variable. */
export function loadSignerConfig(env: NodeJS.ProcessEnv = process.env): SignerConfig {
  return parseEnv(SignerEnv, 'signer', env);
}
