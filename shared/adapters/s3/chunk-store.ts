import { GetObjectCommand, HeadObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { JoblogsError, ObjectGoneError, StorageUnavailableError } from '../../core/errors.js';
import type { IndexCheckpoint } from '../../core/ingest/index.js';

/** An opened chunk: its user metadata and a body to stream (never buffered whole). */
export interface OpenedChunk {
  metadata: Record<string, string | undefined>;
  body: AsyncIterable<Buffer> & { destroy(): void };
  contentLength: number | undefined;
  etag?: string | undefined;
}

/** Chunks in S3, and the indexer's checkpoints beside them. */
export interface ChunkStore {
  open(bucket: string, key: string): Promise<OpenedChunk>;
  /**
   * A neighbouring chunk's metadata, or undefined while there is no such object (yet). Without
   * `s3:ListBucket` S3 answers 403 for a missing key, so 403 counts as missing too.
   */
  head(bucket: string, key: string): Promise<Record<string, string | undefined> | undefined>;
  /** Best effort both ways: a checkpoint that cannot be read or written only costs work. */
  readCheckpoint(bucket: string, checkpointKey: string): Promise<string | undefined>;
  writeCheckpoint(bucket: string, checkpointKey: string, checkpoint: IndexCheckpoint): Promise<boolean>;
}

export function s3ChunkStore(s3: S3Client): ChunkStore {
  return {
    async open(bucket, key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = out.Body as Readable | undefined;
        if (!body) throw new StorageUnavailableError(`S3 returned no body for s3://${bucket}/${key}`);
        return { metadata: out.Metadata ?? {}, body, contentLength: out.ContentLength, etag: out.ETag };
      } catch (error) {
        // An event can outlive its object (deleted, expired by lifecycle): nothing left to index.
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
          throw new ObjectGoneError(`s3://${bucket}/${key} no longer exists`, { cause: error, details: { bucket, key } });
        }
        if (error instanceof JoblogsError) throw error;
        throw new StorageUnavailableError(`Could not read s3://${bucket}/${key}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },

    async head(bucket, key) {
      try {
        const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return out.Metadata ?? {};
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || status === 403 || (error as { name?: string }).name === 'NotFound') return undefined;
        throw new StorageUnavailableError(`Could not read the metadata of s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
      }
    },

    async readCheckpoint(bucket, checkpointKey) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointKey }));
        return await out.Body?.transformToString('utf8');
      } catch {
        return undefined; // none (404, or 403 without s3:ListBucket), or unreadable: start from line 0
      }
    },

    async writeCheckpoint(bucket, checkpointKey, checkpoint) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: checkpointKey, Body: JSON.stringify(checkpoint), ContentType: 'application/json' }));
        return true;
      } catch {
        return false;
      }
    },
  };
}
