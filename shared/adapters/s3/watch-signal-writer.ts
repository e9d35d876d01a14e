import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageUnavailableError } from '../../core/errors.js';
import { encodeWatchSignal, watchKey } from '../../core/watch/index.js';

/** Writes a job's watch signal: someone follows it until `now + forMs`. */
export interface WatchSignalWriter {
  write(jobId: string, now: number, forMs: number): Promise<void>;
}

/**
 * The watch signal as `<prefix>v1/<jobId>.json` in the log bucket (docs/logs-api.md, "Watching").
 * An ordinary overwriting PUT: the signal is the one object in the bucket that changes, and only
 * the logs API's and the signer's roles may write it (serverless.yml).
 */
export function s3WatchSignalWriter(s3: S3Client, o: { bucket: string; prefix: string }): WatchSignalWriter {
  return {
    async write(jobId, now, forMs) {
      const key = watchKey(jobId, o.prefix);
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: encodeWatchSignal(now, forMs), ContentType: 'application/json', CacheControl: 'no-store' }),
        );
      } catch (error) {
        throw new StorageUnavailableError(`Could not write the watch signal s3://${o.bucket}/${key}`, { cause: error });
      }
    },
  };
}
