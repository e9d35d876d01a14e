import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deadLetterKey, type DeadLetterWriter } from '../../core/batch/index.js';
import { StorageUnavailableError } from '../../core/errors.js';

/**
 * Dead-letter reports as JSON objects under `prefix` in the log bucket, one key per failure
 * (`deadLetterKey`: a redelivered failure overwrites its own report).
 */
export function s3DeadLetterWriter(s3: S3Client, o: { bucket: string; prefix: string }): DeadLetterWriter {
  return {
    async write(report) {
      const key = deadLetterKey(o.prefix, report);
      try {
        await s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
      } catch (error) {
        // If the report cannot be written the record must not be acknowledged: retry it.
        throw new StorageUnavailableError(`Could not write dead-letter report s3://${o.bucket}/${key}`, { cause: error });
      }
      return key;
    },
  };
}
