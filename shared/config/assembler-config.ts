import { MAX_CHUNK_BYTES } from '../core/contract/constants.js';
import * as z from '../core/zod.js';
import { EventBounds } from '../core/multiline/constants.js';
import { commonEnv, intVar, parseEnv, prefixVar, withDefault } from './env.js';

/** Everything the assembler reads from its environment (docs/downloads.md). */
const AssemblerEnv = z.pipe(
  z.object({
    ...commonEnv,
    CHUNK_PREFIX: prefixVar('chunks/'),
    JOB_PREFIX: prefixVar('jobs/'),
    DOWNLOAD_PREFIX: prefixVar('downloads/'),
    DEAD_LETTER_PREFIX: prefixVar('dead-letter/assembler/'),
    /** The assembler's own queue: delayed retries (late chunks) and continuations go back to it. */
    ASSEMBLE_QUEUE_URL: z.url(),
    /** How long after a job ended to wait for missing chunks before writing gap markers. */
    GAP_WAIT_SECONDS: intVar({ min: 0, max: 86_400, default: 300 }),
    /** After assembling with gaps, look again this many times (15 min apart) for late chunks. */
    GAP_RECHECKS: intVar({ min: 0, max: 96, default: 4 }),
    PART_BYTES: intVar({ min: 5 * 1024 * 1024, default: 8 * 1024 * 1024 }),
    /** Uncompressed bytes per gzip member: members are compressed in parallel and are the resume points. */
    MEMBER_BYTES: intVar({ min: 64 * 1024, default: 1024 * 1024 }),
    GZIP_LEVEL: intVar({ min: 1, max: 9, default: 6 }),
    /** Chunks of a source fetched ahead of the one being read. */
    PREFETCH_CHUNKS: intVar({ min: 1, max: 64, default: 16 }),
    /** Stop (and continue in a new invocation) when less than this is left. */
    /** Most bytes a chunk may inflate to; beyond it the chunk is dead-lettered (docs/chunk-contract.md). */
    CHUNK_MAX_BYTES: intVar({ min: 64 * 1024, max: 256 * 1024 * 1024, default: MAX_CHUNK_BYTES }),
    DEADLINE_HEADROOM_MS: intVar({ min: 0, default: 30_000 }),
    // The archive (docs/archive.md) holds the documents the indexer writes: these must equal the indexer's settings.
    GROUPING: withDefault(z.enum(['on', 'off']), 'on'),
    EVENT_MAX_LINES: intVar({ min: 2, max: 100_000, default: EventBounds.maxLines }),
    EVENT_MAX_BYTES: intVar({ min: 1024, max: 8 * 1024 * 1024, default: EventBounds.maxBytes }),
    MAX_LINE_BYTES: intVar({ min: 256, default: 32 * 1024 }),
    DEFAULT_DATASET: withDefault(z.string().check(z.regex(/^mlplatform(\.[a-z0-9_]+){1,3}$/)), 'mlplatform.job'),
  }),
  z.transform((e) => ({
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
    maxChunkBytes: e.CHUNK_MAX_BYTES,
    deadlineHeadroomMs: e.DEADLINE_HEADROOM_MS,
    archive: {
      grouping: { enabled: e.GROUPING === 'on', maxLines: e.EVENT_MAX_LINES, maxBytes: e.EVENT_MAX_BYTES },
      maxLineBytes: e.MAX_LINE_BYTES,
      defaultDataset: e.DEFAULT_DATASET,
    },
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
  })),
);

export type AssemblerConfig = z.output<typeof AssemblerEnv>;

/** Parses the environment once; throws one ConfigError listing every bad variable. */
export function loadAssemblerConfig(env: NodeJS.ProcessEnv = process.env): AssemblerConfig {
  return parseEnv(AssemblerEnv, 'assembler', env);
}
