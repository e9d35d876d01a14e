import type { BulkSender } from '../../shared/adapters/search/bulk-sender.js';
import type { Logger } from '../../shared/adapters/logger.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { IndexerConfig } from '../../shared/config/indexer-config.js';
import type { DeadLetterWriter } from '../../shared/core/batch/index.js';

/** Everything the indexer talks to, passed in so tests can hand it real or fake adapters. */
export interface IndexerDeps {
  config: IndexerConfig;
  chunks: ChunkStore;
  deadLetters: DeadLetterWriter;
  sendBulk: BulkSender;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}
