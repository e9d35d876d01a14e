import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageUnavailableError } from '../../core/errors.js';
import type { ObjectVersion } from '../../core/ops/index.js';
import { isNotFound } from './job-store.js';

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date | undefined;
}

/** An operator's view of the log bucket: listings (versions included), reads and writes of JSON, deletions. */
export interface BucketAdmin {
  /** Every version and delete marker under `prefix` (only of `prefix` itself with `exact`). */
  listVersions(prefix: string, o?: { exact?: boolean }): Promise<ObjectVersion[]>;
  /** Current objects under `prefix`, in key order, after `startAfter`. */
  listObjects(prefix: string, o?: { startAfter?: string | undefined }): AsyncGenerator<ListedObject>;
  /** Deletes these versions (1000 per request); resolves with how many went. */
  deleteVersions(versions: readonly ObjectVersion[]): Promise<number>;
  listUploads(prefix: string): Promise<Array<{ key: string; uploadId: string }>>;
  abortUpload(upload: { key: string; uploadId: string }): Promise<void>;
  readJson(key: string): Promise<unknown>;
  writeJson(key: string, value: unknown): Promise<void>;
  /** Copies `from` to `to` and deletes `from` (the current version; earlier ones stay as noncurrent versions). */
  move(from: string, to: string): Promise<void>;
}

const unavailable = (what: string, error: unknown) => new StorageUnavailableError(`Could not ${what}: ${(error as Error).message}`, { cause: error });

export function s3BucketAdmin(s3: S3Client, bucket: string): BucketAdmin {
  return {
    async listVersions(prefix, o = {}) {
      const out: ObjectVersion[] = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      try {
        do {
          const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
          for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
            if (!v.Key || (o.exact && v.Key !== prefix)) continue;
            out.push({ key: v.Key, versionId: v.VersionId, size: 'Size' in v && typeof v.Size === 'number' ? v.Size : 0 });
          }
          keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
          versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
        } while (keyMarker);
      } catch (error) {
        throw unavailable(`list the versions under s3://${bucket}/${prefix}`, error);
      }
      return out;
    },

    async *listObjects(prefix, o = {}) {
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ContinuationToken: token,
              ...(token ? {} : o.startAfter ? { StartAfter: o.startAfter } : {}),
            }),
          );
        } catch (error) {
          throw unavailable(`list s3://${bucket}/${prefix}`, error);
        }
        for (const c of page.Contents ?? []) if (c.Key) yield { key: c.Key, size: c.Size ?? 0, lastModified: c.LastModified };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async deleteVersions(versions) {
      let deleted = 0;
      for (let i = 0; i < versions.length; i += 1000) {
        const batch = versions.slice(i, i + 1000);
        try {
          const out = await s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((v) => ({ Key: v.key, ...(v.versionId ? { VersionId: v.versionId } : {}) })), Quiet: true },
            }),
          );
          if ((out.Errors ?? []).length > 0)
            throw new Error(
              `${out.Errors!.length} object(s) not deleted, e.g. ${out.Errors![0]!.Key}: ${out.Errors![0]!.Code} ${out.Errors![0]!.Message ?? ''}`,
            );
          deleted += batch.length;
        } catch (error) {
          throw unavailable(`delete from s3://${bucket} (${deleted} deleted so far)`, error);
        }
      }
      return deleted;
    },

    async listUploads(prefix) {
      try {
        const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
        return (out.Uploads ?? []).filter((u) => u.Key && u.UploadId).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
      } catch (error) {
        throw unavailable(`list the uploads under s3://${bucket}/${prefix}`, error);
      }
    },

    async abortUpload({ key, uploadId }) {
      try {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      } catch (error) {
        if (!isNotFound(error) && (error as { name?: string }).name !== 'NoSuchUpload') throw unavailable(`abort the upload of s3://${bucket}/${key}`, error);
      }
    },

    async readJson(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await out.Body!.transformToString('utf8')) as unknown;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (error instanceof SyntaxError) return undefined;
        throw unavailable(`read s3://${bucket}/${key}`, error);
      }
    },

    async writeJson(key, value) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify(value, null, 2)}\n`, ContentType: 'application/json' }));
      } catch (error) {
        throw unavailable(`write s3://${bucket}/${key}`, error);
      }
    },

    async move(from, to) {
      try {
        await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}` }));
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
      } catch (error) {
        throw unavailable(`move s3://${bucket}/${from} to ${to}`, error);
      }
    },
  };
}
