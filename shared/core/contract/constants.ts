/** Version of the chunk contract this code reads (docs/chunk-contract.md). */
export const CHUNK_CONTRACT_VERSION = 'v1' as const;

/** `event.sequence = chunkSeq * SEQUENCE_STRIDE + position` keeps a source's lines in printed order. */
export const SEQUENCE_STRIDE = 10_000_000;
/** Largest chunk seq whose last possible line (position STRIDE − 1) still has an exact `event.sequence`. */
export const MAX_CHUNK_SEQ = Math.floor((Number.MAX_SAFE_INTEGER - (SEQUENCE_STRIDE - 1)) / SEQUENCE_STRIDE);

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Most bytes a chunk may inflate to (docs/chunk-contract.md). Readers stop there (the rest is
 * dead-lettered as CHUNK_TOO_LARGE), so a few kilobytes of gzip can never become gigabytes of
 * documents or memory; the shippers seal chunks at 1 MiB, far below it.
 */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

export const ChunkFormat = {
  lines: 'lines',
  framedV1: 'framed-v1',
} as const;
export type ChunkFormat = (typeof ChunkFormat)[keyof typeof ChunkFormat];

export const DEFAULT_SOURCE_STREAM = 'stdout';

/**
 * Chunk metadata of event grouping (docs/chunk-contract.md, "Events and progress bars"):
 * `events: marked` says the frames carry the shipper's event marks; `open-events` lists the
 * lanes whose event goes on into the next chunk.
 */
export const EventMetadata = { marks: 'events', openEvents: 'open-events' } as const;
export const EVENTS_MARKED = 'marked';
