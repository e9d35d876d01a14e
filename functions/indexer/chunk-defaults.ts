import type { IndexerConfig } from '../../shared/config/indexer-config.js';
import type { ChunkDefaults } from '../../shared/core/ingest/index.js';

/** What `describeChunk` takes from the indexer's configuration: every chunk the indexer reads is described alike. */
export function chunkDefaults(config: IndexerConfig, now: () => number): ChunkDefaults {
  return { stage: config.stage, defaultDataset: config.defaultDataset, chunkPrefix: config.chunkPrefix, now, userJson: config.userJson };
}
