import { userJsonOf } from '../core/cluster/features.js';
import { MAX_CHUNK_BYTES } from '../core/contract/constants.js';
import { EventBounds } from '../core/multiline/constants.js';
import * as z from '../core/zod.js';
import { clusterChecks, clusterConfig, clusterEnv, commonEnv, intVar, parseEnv, prefixVar, withDefault } from './env.js';

/** Everything the indexer reads from its environment (README, "Configuration"). */
const IndexerEnv = z.pipe(
  z
    .object({
      ...commonEnv,
      ...clusterEnv,
      /** SSM SecureString holding `{"username":"…","password":"…"}` or `{"apiKey":"…"}`; unset = no auth (local only); unused with CLUSTER_AUTH=iam. */
      ES_CREDENTIALS_PARAM: z.optional(z.string().check(z.startsWith('/'))),
      CHUNK_PREFIX: prefixVar('chunks/'),
      DEAD_LETTER_PREFIX: prefixVar('dead-letter/indexer/'),
      /** Where a chunk's progress is kept when an invocation stops mid-chunk (docs/chunk-contract.md). */
      CHECKPOINT_PREFIX: prefixVar('checkpoints/indexer/'),
      DEFAULT_DATASET: withDefault(z.string().check(z.regex(/^mlplatform(\.[a-z0-9_]+){1,3}$/)), 'mlplatform.job'),
      MAX_LINE_BYTES: intVar({ min: 256, default: 32 * 1024 }),
      BULK_MAX_ACTIONS: intVar({ min: 1, default: 2000 }),
      BULK_MAX_BYTES: intVar({ min: 1024, default: 5 * 1024 * 1024 }),
      /** `_bulk` requests in flight per invocation, in all (every record and chunk shares them). */
      BULK_CONCURRENCY: intVar({ min: 1, max: 16, default: 2 }),
      /** SQS records (messages) worked on at once per invocation. */
      RECORD_CONCURRENCY: intVar({ min: 1, max: 10, default: 2 }),
      RETRY_BASE_MS: intVar({ min: 1, default: 200 }),
      RETRY_MAX_MS: intVar({ min: 1, default: 10_000 }),
      /** Most bytes a chunk may inflate to; beyond it the chunk is dead-lettered (docs/chunk-contract.md). */
      CHUNK_MAX_BYTES: intVar({ min: 64 * 1024, max: 256 * 1024 * 1024, default: MAX_CHUNK_BYTES }),
      DEADLINE_HEADROOM_MS: intVar({ min: 0, default: 10_000 }),
      ES_REQUEST_TIMEOUT_MS: intVar({ min: 100, default: 30_000 }),
      /** Multi-line events and `\r` progress bars grouped at ingest (docs/chunk-contract.md, "Events and progress bars"); `off` = one document per line. */
      GROUPING: withDefault(z.enum(['on', 'off']), 'on'),
      EVENT_MAX_LINES: intVar({ min: 2, max: 100_000, default: EventBounds.maxLines }),
      EVENT_MAX_BYTES: intVar({ min: 1024, max: 8 * 1024 * 1024, default: EventBounds.maxBytes }),
      /** How long an invocation waits for a neighbouring chunk an event continues in before handing the record back to SQS. */
      NEIGHBOUR_WAIT_MS: intVar({ min: 0, max: 60_000, default: 10_000 }),
      /** The chunk queue's `maxReceiveCount`: on the last receive a neighbour that never came is reported instead of waited for. */
      MAX_RECEIVE_COUNT: intVar({ min: 1, max: 1000, default: 5 }),
    })
    .check(...clusterChecks),
  z.transform((e) => ({
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    cluster: clusterConfig(e, e.ES_REQUEST_TIMEOUT_MS),
    /** How the cluster searches user JSON: decides whether documents carry `joblogs.json_kv` (docs/search-storage.md). */
    userJson: userJsonOf(e.CLUSTER_KIND),
    esCredentialsParam: e.CLUSTER_AUTH === 'secret' ? e.ES_CREDENTIALS_PARAM : undefined,
    chunkPrefix: e.CHUNK_PREFIX,
    deadLetterPrefix: e.DEAD_LETTER_PREFIX,
    checkpointPrefix: e.CHECKPOINT_PREFIX,
    defaultDataset: e.DEFAULT_DATASET,
    maxLineBytes: e.MAX_LINE_BYTES,
    bulk: { maxActions: e.BULK_MAX_ACTIONS, maxBytes: e.BULK_MAX_BYTES, concurrency: e.BULK_CONCURRENCY },
    recordConcurrency: e.RECORD_CONCURRENCY,
    retry: { baseMs: e.RETRY_BASE_MS, maxMs: e.RETRY_MAX_MS },
    maxChunkBytes: e.CHUNK_MAX_BYTES,
    deadlineHeadroomMs: e.DEADLINE_HEADROOM_MS,
    grouping: { enabled: e.GROUPING === 'on', maxLines: e.EVENT_MAX_LINES, maxBytes: e.EVENT_MAX_BYTES },
    neighbourWaitMs: e.NEIGHBOUR_WAIT_MS,
    maxReceiveCount: e.MAX_RECEIVE_COUNT,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  })),
);

export type IndexerConfig = z.output<typeof IndexerEnv>;

/** Parses the environment once; throws one ConfigError listing every bad variable. */
export function loadIndexerConfig(env: NodeJS.ProcessEnv = process.env): IndexerConfig {
  return parseEnv(IndexerEnv, 'indexer', env);
}
