import { WATCH_PREFIX, WatchDefaults } from '../core/watch/index.js';
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
      /** Where the watch signals go (`<prefix>v1/<jobId>.json`): the one prefix this function may write. */
      WATCH_PREFIX: prefixVar(WATCH_PREFIX),
      /** How far ahead a watch signal's `until` is set, and how often per job and container it is written. */
      WATCH_SIGNAL_TTL_MS: intVar({ min: 10_000, max: 600_000, default: WatchDefaults.signalTtlMs }),
      WATCH_SIGNAL_EVERY_MS: intVar({ min: 1_000, max: 300_000, default: WatchDefaults.signalEveryMs }),
    })
    .check(
      ...clusterChecks,
      z.refine<{ WATCH_SIGNAL_EVERY_MS: number; WATCH_SIGNAL_TTL_MS: number }>((e) => e.WATCH_SIGNAL_EVERY_MS < e.WATCH_SIGNAL_TTL_MS, {
        error: 'must be shorter than WATCH_SIGNAL_TTL_MS, or a watched job would go unwatched between two writes',
        path: ['WATCH_SIGNAL_EVERY_MS'],
      }),
    ),
  z.transform((e) => ({
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    jobPrefix: e.JOB_PREFIX,
    cluster: clusterConfig(e, e.ES_REQUEST_TIMEOUT_MS),
    esReaderCredentialsParam: e.CLUSTER_AUTH === 'secret' ? e.ES_READER_CREDENTIALS_PARAM : undefined,
    chunkPrefix: e.CHUNK_PREFIX,
    tailPollMs: e.TAIL_POLL_MS,
    watch: { prefix: e.WATCH_PREFIX, ttlMs: e.WATCH_SIGNAL_TTL_MS, everyMs: e.WATCH_SIGNAL_EVERY_MS },
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
