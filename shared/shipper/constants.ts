import { WatchDefaults } from '../core/watch/constants.js';

/** Reported as `producer: joblogs-shipper/<version>`; a unit test keeps it equal to package.json's. */
export const SHIPPER_VERSION = '0.1.0';
export const PRODUCER = `joblogs-shipper/${SHIPPER_VERSION}`;

export const ShipperDefaults = {
  source: 'main',
  prefix: 'chunks/',
  jobPrefix: 'jobs/',
  flushIntervalMs: 1000,
  idleFlushIntervalMs: 30_000,
  freshStartMs: 60_000,
  watchPollIntervalMs: WatchDefaults.pollIntervalMs,
  watchPrefix: 'watch/',
  maxChunkBytes: 1024 * 1024,
  maxLineBytes: 256 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  spoolMaxBytes: 512 * 1024 * 1024,
  overflow: 'drop-oldest',
  /**
   * zlib's fastest level. Chunks live a week and are read once by the indexer (and the assembler,
   * which compresses the download file again at its own level): 1 instead of 6 makes them ~23 %
   * larger and takes ~25 % off the shipper's CPU, which is the job's (docs/shipper-footprint.md,
   * "Compression level").
   */
  gzipLevel: 1,
  framing: 'inline',
  closeTimeoutMs: 15_000,
  uploadTimeoutMs: 30_000,
  retryBaseMs: 200,
  retryMaxMs: 5_000,
  multiline: { enabled: true, maxLines: 500, maxBytes: 1024 * 1024, holdMs: 2_000, idleMs: 500 },
} as const;

export const OverflowPolicy = {
  dropOldest: 'drop-oldest',
  block: 'block',
} as const;
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];

export const FramingMode = {
  inline: 'inline',
  worker: 'worker',
} as const;
export type FramingMode = (typeof FramingMode)[keyof typeof FramingMode];
