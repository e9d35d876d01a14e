import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { archiveKeys, ArchiveUnreadableError } from '../../core/archive/index.js';
import { isPermanent, StorageUnavailableError } from '../../core/errors.js';
import { isNotFound } from './job-store.js';

/**
 * The read side of job archives (docs/archive.md): the logs API's ranged reads of
 * `downloads/<jobId>.archive.*`, and the assembler's read of a build's state when it goes on.
 */
export interface ArchiveStore {
  /** The index's text, or undefined when the job has no archive. */
  readIndex(jobId: string): Promise<string | undefined>;
  /** The state a build that stopped at a part boundary left (`.archive.resume.json`), or undefined. */
  readResume(jobId: string): Promise<string | undefined>;
  /** Bytes `[offset, offset + length)` of the records file. */
  readRange(jobId: string, offset: number, length: number): Promise<Buffer>;
}

export function s3ArchiveStore(s3: S3Client, o: { bucket: string; downloadPrefix: string }): ArchiveStore {
  const get = async (key: string, range?: string) => {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key, ...(range ? { Range: range } : {}) }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if ((error as { name?: string }).name === 'InvalidRange') throw new ArchiveUnreadableError(`s3://${o.bucket}/${key} is shorter than its index says`);
      if (isPermanent(error)) throw error;
      throw new StorageUnavailableError(`Could not read s3://${o.bucket}/${key}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    async readIndex(jobId) {
      return (await get(archiveKeys(jobId, o.downloadPrefix).index))?.toString('utf8');
    },
    async readResume(jobId) {
      return (await get(archiveKeys(jobId, o.downloadPrefix).resume))?.toString('utf8');
    },
    async readRange(jobId, offset, length) {
      const key = archiveKeys(jobId, o.downloadPrefix).records;
      const bytes = await get(key, `bytes=${offset}-${offset + length - 1}`);
      if (!bytes) throw new ArchiveUnreadableError(`The archive records of job ${jobId} are gone (s3://${o.bucket}/${key})`);
      if (bytes.length !== length) throw new ArchiveUnreadableError(`s3://${o.bucket}/${key} is shorter than its index says`);
      return bytes;
    },
  };
}
