import type { LRUCache } from 'lru-cache';
import type { VerifyToken } from '../../shared/adapters/auth/jwt-verifier.js';
import type { LogSearch } from '../../shared/adapters/search/log-search.js';
import type { Logger } from '../../shared/adapters/logger.js';
import type { ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import type { JobStore } from '../../shared/adapters/s3/job-store.js';
import type { LogsApiConfig } from '../../shared/config/logs-api-config.js';
import type { ArchiveStore } from '../../shared/adapters/s3/archive-store.js';
import type { AssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { ArchiveIndex } from '../../shared/core/archive/index.js';
import type { JobView } from './job-view.js';
import type { WatchRecorder } from '../http/watch-recorder.js';

/** Everything the logs API talks to, passed in so tests can hand it real or fake adapters. */
export interface LogsApiDeps {
  config: LogsApiConfig;
  verifyToken: VerifyToken;
  jobs: JobStore;
  search: LogSearch;
  /** Chunks, read for the states of a collapsed progress bar (`/redraws`). */
  chunks: Pick<ChunkStore, 'open'>;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Views of complete jobs, per container (they no longer change). */
  completeViews: Pick<LRUCache<string, JobView>, 'get' | 'set'>;
  /** Archives of jobs whose documents aged out of the cluster (docs/archive.md), and their indexes per container. */
  archives: ArchiveStore;
  archiveIndexes: Pick<LRUCache<string, ArchiveIndex>, 'get' | 'set'>;
  /** Asks the assembler for a job's archive (undefined: not configured). */
  assembly: AssembleQueue | undefined;
  /** When this container last asked for a job's archive: clients polling the 202 do not ask again each time. */
  archiveRequests: Pick<LRUCache<string, number>, 'get' | 'set'>;
  /** Records that someone follows a running job (its live tail, its summary), so its shippers flush often. */
  watch: WatchRecorder;
}
