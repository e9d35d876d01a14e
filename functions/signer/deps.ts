import type { VerifyToken } from '../../shared/adapters/auth/jwt-verifier.js';
import type { Logger } from '../../shared/adapters/logger.js';
import type { DownloadUrlSigner } from '../../shared/adapters/s3/download-url.js';
import type { JobStore } from '../../shared/adapters/s3/job-store.js';
import type { AssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { SignerConfig } from '../../shared/config/signer-config.js';
import type { WatchRecorder } from '../http/watch-recorder.js';
import type { AssemblyThrottle } from './assembly-throttle.js';

/** Everything the signer talks to, passed in so tests can hand it real or fake adapters. */
export interface SignerDeps {
  config: SignerConfig;
  verifyToken: VerifyToken;
  jobs: JobStore;
  urls: DownloadUrlSigner;
  /** The assembler's queue: the signer sends `{ jobId, partial: true }`. */
  assembly: AssembleQueue;
  throttle: AssemblyThrottle;
  /** A running job's logs asked for: someone watches it (its shippers then flush every second). */
  watch: WatchRecorder;
  logger: Logger;
  now: () => number;
}
