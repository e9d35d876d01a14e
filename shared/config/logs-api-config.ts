import * as z from '../core/zod.js';
import { clusterChecks, clusterConfig, clusterEnv, commonEnv, httpEnv, intVar, jwtConfig, parseEnv, prefixVar } from './env.js';

/** Everything the logs API reads from its environment (docs/logs-api.md). */
const LogsApiEnv = z.pipe(
  z
    .object({
      ...commonEnv,
      ...httpEnv,
      JOB_PREFIX: prefixVar('jobs/'),
      ...clusterEnv,
      /** Chunks are read back for the states of a collapsed progress bar (`/redraws`). */
      CHUNK_PREFIX: prefixVar('chunks/'),
      /** SSM SecureString of a **read-only** cluster identity (not the indexer's writer); unset = no auth (local only); unused with CLUSTER_AUTH=iam. */
      ES_READER_CREDENTIALS_PARAM: z.optional(z.string().check(z.startsWith('/'))),
      ES_REQUEST_TIMEOUT_MS: intVar({ min: 100, max: 25_000, default: 5_000 }),
      /** How often a waiting tail request looks for new lines (Elasticsearch refreshes every second). */
      TAIL_POLL_MS: intVar({ min: 100, max: 5_000, default: 500 }),
    })
    .check(...clusterChecks),
  z.transform((e) => ({
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    jobPrefix: e.JOB_PREFIX,
    cluster: clusterConfig(e, e.ES_REQUEST_TIMEOUT_MS),
    esReaderCredentialsParam: e.CLUSTER_AUTH === 'secret' ? e.ES_READER_CREDENTIALS_PARAM : undefined,
    chunkPrefix: e.CHUNK_PREFIX,
    tailPollMs: e.TAIL_POLL_MS,
    jwt: jwtConfig(e),
    uiOrigin: e.UI_ORIGIN,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  })),
);

export type LogsApiConfig = z.output<typeof LogsApiEnv>;

/** Parses the environment once; throws one ConfigError listing every bad variable. */
export function loadLogsApiConfig(env: NodeJS.ProcessEnv = process.env): LogsApiConfig {
  return parseEnv(LogsApiEnv, 'logs API', env);
}
