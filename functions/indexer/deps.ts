import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { BulkSender } from '../../shared/adapters/elasticsearch/bulk-sender.js';
import type { Logger } from '../../shared/adapters/logger.js';
import type { IndexerConfig } from '../../shared/config/indexer-config.js';

/** Everything the indexer talks to, passed in so tests can hand it real or fake adapters. */
export interface IndexerDeps {
  config: IndexerConfig;
  chunks: ChunkStore;
  sendBulk: BulkSender;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}
