import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/**
 * Everything the indexer reads from its environment, validated once at cold start.
 * Nothing else in the code base reads `process.env`.
 */
const IndexerEnv = z.object({
  STAGE: z.string().regex(/^[a-z0-9_]{1,32}$/, 'lowercase letters, digits, underscore'),
  LOG_BUCKET: z.string().min(3),
  ES_NODE: z.url(),
  /** SSM SecureString holding `{"username":"…","password":"…"}` or `{"apiKey":"…"}`; unset = no auth (local only). */
  ES_CREDENTIALS_PARAM: z.string().startsWith('/').optional(),
  CHUNK_PREFIX: z.string().default('chunks/'),
  DEAD_LETTER_PREFIX: z.string().default('dead-letter/indexer/'),
  /** Where a chunk's progress is kept when an invocation stops mid-chunk (docs/chunk-contract.md). */
  CHECKPOINT_PREFIX: z.string().default('checkpoints/indexer/'),
  DEFAULT_DATASET: z.string().regex(/^mlplatform(\.[a-z0-9_]+){1,3}$/).default('mlplatform.job'),
  MAX_LINE_BYTES: z.coerce.number().int().min(256).default(32 * 1024),
  BULK_MAX_ACTIONS: z.coerce.number().int().min(1).default(2000),
  BULK_MAX_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  BULK_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  RETRY_BASE_MS: z.coerce.number().int().min(1).default(200),
  RETRY_MAX_MS: z.coerce.number().int().min(1).default(10_000),
  DEADLINE_HEADROOM_MS: z.coerce.number().int().min(0).default(10_000),
  ES_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Path-style S3 URLs: needed for S3-compatible servers on an IP/loopback endpoint (moto). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export interface IndexerConfig {
  stage: string;
  logBucket: string;
  esNode: string;
  esCredentialsParam: string | undefined;
  chunkPrefix: string;
  deadLetterPrefix: string;
  checkpointPrefix: string;
  defaultDataset: string;
  maxLineBytes: number;
  bulk: { maxActions: number; maxBytes: number; concurrency: number };
  retry: { baseMs: number; maxMs: number };
  deadlineHeadroomMs: number;
  esRequestTimeoutMs: number;
  s3ForcePathStyle: boolean;
}

/** Parses the environment; throws one {@link ConfigError} listing every bad variable. */
export function loadIndexerConfig(env: NodeJS.ProcessEnv = process.env): IndexerConfig {
  const parsed = IndexerEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid indexer configuration: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  return {
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    esNode: e.ES_NODE,
    esCredentialsParam: e.ES_CREDENTIALS_PARAM,
    chunkPrefix: e.CHUNK_PREFIX,
    deadLetterPrefix: e.DEAD_LETTER_PREFIX,
    checkpointPrefix: e.CHECKPOINT_PREFIX,
    defaultDataset: e.DEFAULT_DATASET,
    maxLineBytes: e.MAX_LINE_BYTES,
    bulk: { maxActions: e.BULK_MAX_ACTIONS, maxBytes: e.BULK_MAX_BYTES, concurrency: e.BULK_CONCURRENCY },
    retry: { baseMs: e.RETRY_BASE_MS, maxMs: e.RETRY_MAX_MS },
    deadlineHeadroomMs: e.DEADLINE_HEADROOM_MS,
    esRequestTimeoutMs: e.ES_REQUEST_TIMEOUT_MS,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}
