import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/**
 * Everything the assembler reads from its environment, validated once at cold start.
 * Nothing else in the assembler reads `process.env`.
 */
const AssemblerEnv = z.object({
  STAGE: z.string().regex(/^[a-z0-9_]{1,32}$/, 'lowercase letters, digits, underscore'),
  LOG_BUCKET: z.string().min(3),
  CHUNK_PREFIX: z.string().default('chunks/'),
  JOB_PREFIX: z.string().default('jobs/'),
  DOWNLOAD_PREFIX: z.string().default('downloads/'),
  DEAD_LETTER_PREFIX: z.string().default('dead-letter/assembler/'),
  /** The assembler's own queue: delayed retries (late chunks) and continuations go back to it. */
  ASSEMBLE_QUEUE_URL: z.url(),
  /** How long after a job ended to wait for missing chunks before writing gap markers. */
  GAP_WAIT_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** After assembling with gaps, look again this many times (15 min apart) for late chunks. */
  GAP_RECHECKS: z.coerce.number().int().min(0).max(96).default(4),
  PART_BYTES: z.coerce.number().int().min(5 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Uncompressed bytes per gzip member: members are compressed in parallel and are the resume points. */
  MEMBER_BYTES: z.coerce.number().int().min(64 * 1024).default(1024 * 1024),
  GZIP_LEVEL: z.coerce.number().int().min(1).max(9).default(6),
  /** Chunks of a source fetched ahead of the one being read. */
  PREFETCH_CHUNKS: z.coerce.number().int().min(1).max(64).default(16),
  /** Stop (and continue in a new invocation) when less than this is left. */
  DEADLINE_HEADROOM_MS: z.coerce.number().int().min(0).default(30_000),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export interface AssemblerConfig {
  stage: string;
  logBucket: string;
  chunkPrefix: string;
  jobPrefix: string;
  downloadPrefix: string;
  deadLetterPrefix: string;
  assembleQueueUrl: string;
  gapWaitMs: number;
  gapRechecks: number;
  partBytes: number;
  memberBytes: number;
  gzipLevel: number;
  prefetchChunks: number;
  deadlineHeadroomMs: number;
  s3ForcePathStyle: boolean;
}

export function loadAssemblerConfig(env: NodeJS.ProcessEnv = process.env): AssemblerConfig {
  const parsed = AssemblerEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid assembler configuration: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  return {
    stage: e.STAGE,
    logBucket: e.LOG_BUCKET,
    chunkPrefix: e.CHUNK_PREFIX,
    jobPrefix: e.JOB_PREFIX,
    downloadPrefix: e.DOWNLOAD_PREFIX,
    deadLetterPrefix: e.DEAD_LETTER_PREFIX,
    assembleQueueUrl: e.ASSEMBLE_QUEUE_URL,
    gapWaitMs: e.GAP_WAIT_SECONDS * 1000,
    gapRechecks: e.GAP_RECHECKS,
    partBytes: e.PART_BYTES,
    memberBytes: e.MEMBER_BYTES,
    gzipLevel: e.GZIP_LEVEL,
    prefetchChunks: e.PREFETCH_CHUNKS,
    deadlineHeadroomMs: e.DEADLINE_HEADROOM_MS,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}
