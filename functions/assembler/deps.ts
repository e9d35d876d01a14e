import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/adapters/logger.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { JobStore } from '../../shared/adapters/s3/job-store.js';
import type { AssemblerConfig } from '../../shared/config/assembler-config.js';
import type { AssembleRequest } from '../../shared/core/download/index.js';

/** Sends a request to the assembler's own queue (delayed retries, continuations). */
export interface AssembleQueue {
  send(request: AssembleRequest, delaySeconds?: number): Promise<void>;
}

/** Everything the assembler talks to, passed in so tests can hand it real or fake adapters. */
export interface AssemblerDeps {
  config: AssemblerConfig;
  s3: S3Client;
  jobs: JobStore;
  chunks: ChunkStore;
  queue: AssembleQueue;
  logger: Logger;
  now: () => number;
}
