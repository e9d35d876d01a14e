import { isNotFound, type S3ObjectClient } from '../adapters/s3/object-client.js';
import { parseWatchSignal, type WatchRead } from '../core/watch/index.js';
import { WatchReadError } from './errors.js';

export interface WatchReaderOptions {
  s3: S3ObjectClient;
  bucket: string;
  /** `watch/v1/<jobId>.json` (watchKey). */
  key: string;
  timeoutMs: number;
  now: () => number;
}

/**
 * Reads the job's watch signal with one GET. A missing object (404: the producer role may list
 * its own signal's key, so S3 answers 404, not 403) is `missing`; anything else that goes wrong —
 * a timeout, a 403, a body that is not a signal — is `failed`, and the shipper keeps its cadence.
 */
export function s3WatchReader(o: WatchReaderOptions): () => Promise<WatchRead> {
  return async () => {
    try {
      const text = await o.s3.getObjectText({ bucket: o.bucket, key: o.key }, { signal: AbortSignal.timeout(o.timeoutMs) });
      return { kind: 'found', until: parseWatchSignal(text, o.now()) };
    } catch (error) {
      if (isNotFound(error)) return { kind: 'missing' };
      return { kind: 'failed', error: new WatchReadError(`Could not read s3://${o.bucket}/${o.key}: ${(error as Error).message}`, { cause: error }) };
    }
  };
}
