import * as z from '../core/zod.js';
import {
  clusterChecks,
  clusterConfig,
  clusterEnv,
  commonEnv,
  httpEnv,
  intVar,
  jwtConfig,
  parseEnv,
  prefixVar,
  watchChecks,
  watchConfig,
  watchEnv,
} from './env.js';

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
      /** Where the archives of jobs whose documents aged out are (docs/archive.md): read only. */
      DOWNLOAD_PREFIX: prefixVar('downloads/'),
      /** The assembler's queue: a job that aged out before its archive was built asks for it (unset: answered 404). */
      ASSEMBLE_QUEUE_URL: z.optional(z.url()),
      /** A finished job with no document in the cluster and no archive is taken as aged out (202, archive asked for) once it ended this long ago; before, as not indexed yet. */
      AGED_OUT_AFTER_SECONDS: intVar({ min: 0, max: 7 * 86_400, default: 600 }),
      /** SSM SecureString of a **read-only** cluster identity (not the indexer's writer); unset = no auth (local only); unused with CLUSTER_AUTH=iam. */
      ES_READER_CREDENTIALS_PARAM: z.optional(z.string().check(z.startsWith('/'))),
      ES_REQUEST_TIMEOUT_MS: intVar({ min: 100, max: 25_000, default: 5_000 }),
      /** How often a waiting tail request looks for new lines (Elasticsearch refreshes every second). */
      TAIL_POLL_MS: intVar({ min: 100, max: 5_000, default: 500 }),
      ...watchEnv,
    })
    .check(...clusterChecks, ...watchChecks),
  z.transform((e) => ({
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    jobPrefix: e.JOB_PREFIX,
    cluster: clusterConfig(e, e.ES_REQUEST_TIMEOUT_MS),
    esReaderCredentialsParam: e.CLUSTER_AUTH === 'secret' ? e.ES_READER_CREDENTIALS_PARAM : undefined,
    chunkPrefix: e.CHUNK_PREFIX,
    downloadPrefix: e.DOWNLOAD_PREFIX,
    assembleQueueUrl: e.ASSEMBLE_QUEUE_URL,
    agedOutAfterMs: e.AGED_OUT_AFTER_SECONDS * 1000,
    tailPollMs: e.TAIL_POLL_MS,
    watch: watchConfig(e),
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
