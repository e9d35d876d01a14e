import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { createIndexerHandler } from './create-handler.js';

/** Lambda entry point: SQS (S3 event notifications) → Elasticsearch. Config is validated at cold start. */
export const handler = createIndexerHandler(loadIndexerConfig());
