import type { Logger } from '../../shared/adapters/logger.js';
import type { ArchiveStore } from '../../shared/adapters/s3/archive-store.js';
import type { ChunkListing } from '../../shared/adapters/s3/chunk-listing.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { JobStore } from '../../shared/adapters/s3/job-store.js';
import type { ObjectWriters } from '../../shared/adapters/s3/multipart-writer.js';
import type { AssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { AssemblerConfig } from '../../shared/config/assembler-config.js';
import type { DeadLetterWriter } from '../../shared/core/batch/index.js';

/** Everything the assembler talks to, passed in so tests can hand it real or fake adapters. */
export interface AssemblerDeps {
  config: AssemblerConfig;
  jobs: JobStore;
  chunks: ChunkStore;
  listing: ChunkListing;
  /** Writers of download files and archives (multipart, resumable). */
  downloads: ObjectWriters;
  /** Whether a job has an archive, and where an archive build that stopped left its state (docs/archive.md). */
  archives: Pick<ArchiveStore, 'readIndex' | 'readResume'>;
  /** The assembler's own queue: delayed retries, rechecks and continuations. */
  queue: AssembleQueue;
  deadLetters: DeadLetterWriter;
  logger: Logger;
  now: () => number;
}
