/** Version of the chunk contract this code reads (docs/chunk-contract.md). */
export const CHUNK_CONTRACT_VERSION = 'v1' as const;

/** `event.sequence = chunkSeq * SEQUENCE_STRIDE + position` keeps a source's lines in printed order. */
export const SEQUENCE_STRIDE = 10_000_000;
/** Largest chunk seq whose last possible line (position STRIDE − 1) still has an exact `event.sequence`. */
export const MAX_CHUNK_SEQ = Math.floor((Number.MAX_SAFE_INTEGER - (SEQUENCE_STRIDE - 1)) / SEQUENCE_STRIDE);

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

export const ChunkFormat = {
  lines: 'lines',
  framedV1: 'framed-v1',
} as const;
export type ChunkFormat = (typeof ChunkFormat)[keyof typeof ChunkFormat];

export const DEFAULT_SOURCE_STREAM = 'stdout';
