/** The chunk the benchmarks index: its key, its shipper metadata, and adapters that avoid the network. */
import { createReadStream, statSync } from 'node:fs';
import { chunkDefaults } from '../functions/indexer/chunk-defaults.js';
import type { IndexerDeps } from '../functions/indexer/deps.js';
import { createLogger, type Logger } from '../shared/adapters/logger.js';
import type { ChunkStore } from '../shared/adapters/s3/chunk-store.js';
import { loadIndexerConfig, type IndexerConfig } from '../shared/config/indexer-config.js';
import type { DeadLetterWriter } from '../shared/core/batch/index.js';
import { chunkKey, ChunkFormat, EventMetadata, EVENTS_MARKED } from '../shared/core/contract/index.js';
import { describeChunk, type ChunkContext } from '../shared/core/ingest/index.js';
import { discardSink } from '../testkit/log-sink.js';

/** What the joblogs shipper puts on a chunk (docs/chunk-contract.md, "Object metadata"). */
export const CHUNK_METADATA: Record<string, string> = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  service: 'trainer',
  producer: 'joblogs-shipper/0.1.0',
  host: 'ip-10-0-3-17',
  owner: 'alice',
  team: 'vision',
  'chunk-start': '2026-11-25T10:00:00.000Z',
};

export const CHUNK_EVENT_TIME = '2026-11-25T10:05:00.000Z';

export function chunkObjectKey(jobId: string, seq: number, prefix = 'chunks/'): string {
  return chunkKey({ jobId, source: 'main', seq }, prefix);
}

/**
 * The indexer's production defaults (BULK_CONCURRENCY, BULK_MAX_ACTIONS, BULK_MAX_BYTES,
 * MAX_LINE_BYTES…) through the real config parser; `env` adds or overrides variables.
 */
export function benchConfig(env: Record<string, string> = {}): IndexerConfig {
  return loadIndexerConfig({ STAGE: 'bench', LOG_BUCKET: 'joblogs-bench', ES_NODE: 'http://127.0.0.1:9200', ...env });
}

/** What the joblogs shipper puts on a `framed-v1` chunk with event marks. */
export const FRAMED_CHUNK_METADATA: Record<string, string> = { ...CHUNK_METADATA, format: ChunkFormat.framedV1, [EventMetadata.marks]: EVENTS_MARKED };

/** A ChunkStore over local gzip files: S3's interface without the network. */
export function fileChunkStore(
  fileFor: (bucket: string, key: string) => string,
  onBytes?: (n: number) => void,
  metadata: Record<string, string> = CHUNK_METADATA,
): ChunkStore {
  return {
    async open(bucket, key) {
      const file = fileFor(bucket, key);
      const body = createReadStream(file, { highWaterMark: 64 * 1024 });
      if (onBytes) body.on('data', (b) => onBytes(b.length));
      return { metadata: { ...metadata }, body, contentLength: statSync(file).size };
    },
    head: async () => ({ ...metadata }),
    // Benchmarks never resume a chunk.
    readCheckpoint: async () => undefined,
    writeCheckpoint: async () => false,
  };
}

/** Benchmarks never dead-letter: a report means the fixture or the indexer is broken. */
export const refusingDeadLetters: DeadLetterWriter = {
  async write(report) {
    throw new Error(`a benchmark chunk went to the dead-letter path (${report.key}): the fixture or the indexer is broken`);
  },
};

export function silentLogger(): Logger {
  return createLogger('joblogs-bench', discardSink());
}

/** The benchmark chunk `key` of `bucket` as the indexer describes it (shipper metadata, the config's stage). */
export function benchChunk(config: IndexerConfig, bucket: string, key: string): ChunkContext {
  return describeChunk({ bucket, key, metadata: CHUNK_METADATA, eventTime: CHUNK_EVENT_TIME }, chunkDefaults(config, Date.now));
}

/** `indexChunk`'s collaborators in a benchmark: the given store and sender, a silent logger, the real clock. */
export function benchDeps(config: IndexerConfig, chunks: ChunkStore, sendBulk: IndexerDeps['sendBulk']): IndexerDeps {
  return {
    config,
    chunks,
    deadLetters: refusingDeadLetters,
    sendBulk,
    logger: silentLogger(),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  };
}
