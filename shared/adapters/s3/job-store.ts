import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { downloadKey, fromS3Metadata, type DownloadMetadata } from '../../core/download/index.js';
import { jobMarkerPrefix, parseJobMarker, parseJobMarkerKey, summariseJob, type JobMarker, type JobSummary } from '../../core/contract/index.js';
import { isPermanent, StorageUnavailableError } from '../../core/errors.js';

export interface DownloadInfo {
  key: string;
  metadata: DownloadMetadata;
  lastModified: Date | undefined;
  size: number | undefined;
}

/** Reads what producers recorded about a job (its markers) and whether its download file exists. */
export interface JobStore {
  /** Undefined when the job has no marker (unknown job). Unreadable markers are skipped and reported. */
  readJob(jobId: string): Promise<{ job: JobSummary | undefined; invalid: Array<{ key: string; reason: string }> }>;
  headDownload(jobId: string): Promise<DownloadInfo | undefined>;
}

export interface JobStoreOptions {
  bucket: string;
  jobPrefix?: string;
  downloadPrefix?: string;
}

/** Markers read at once (the SDK's default agent allows 50 sockets). */
const MARKER_READ_CONCURRENCY = 16;

export function s3JobStore(s3: S3Client, o: JobStoreOptions): JobStore {
  const unavailable = (what: string, error: unknown) =>
    new StorageUnavailableError(`Could not ${what}: ${(error as Error).message}`, { cause: error });

  return {
    async readJob(jobId) {
      const prefix = jobMarkerPrefix(jobId, o.jobPrefix);
      const markers: JobMarker[] = [];
      const invalid: Array<{ key: string; reason: string }> = [];
      let token: string | undefined;
      do {
        const page = await s3
          .send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: prefix, ContinuationToken: token }))
          .catch((error: unknown) => {
            throw unavailable(`list s3://${o.bucket}/${prefix}`, error);
          });
        const readMarker = async (Key: string) => {
          try {
            const expected = parseJobMarkerKey(Key, o.jobPrefix);
            const text = await getText(s3, o.bucket, Key);
            if (text !== undefined) markers.push(parseJobMarker(text, expected));
          } catch (error) {
            if (!isPermanent(error)) throw error;
            invalid.push({ key: Key, reason: (error as Error).message });
          }
        };
        // One GET per source: a 64-rank job would otherwise wait for 64 round trips in a row.
        const keys = (page.Contents ?? []).flatMap(({ Key }) => (Key ? [Key] : []));
        for (let i = 0; i < keys.length; i += MARKER_READ_CONCURRENCY) {
          await Promise.all(keys.slice(i, i + MARKER_READ_CONCURRENCY).map(readMarker));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return { job: summariseJob(jobId, markers), invalid };
    },

    async headDownload(jobId) {
      const key = downloadKey(jobId, o.downloadPrefix);
      // Existence by listing (allowed for downloads/ only): without an unconditional s3:ListBucket,
      // HEAD of a missing key answers 403, not 404 — indistinguishable from a real denial.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: key, MaxKeys: 1 })).catch((error: unknown) => {
        throw unavailable(`list s3://${o.bucket}/${key}`, error);
      });
      if (listed.Contents?.[0]?.Key !== key) return undefined;
      try {
        const out = await s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
        return { key, metadata: fromS3Metadata(out.Metadata ?? {}), lastModified: out.LastModified, size: out.ContentLength };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw unavailable(`read s3://${o.bucket}/${key}`, error);
      }
    },
  };
}

async function getText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToString('utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined; // deleted between list and get
    throw new StorageUnavailableError(`Could not read s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
  }
}

export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return error instanceof NoSuchKey || error instanceof NotFound || name === 'NoSuchKey' || name === 'NotFound';
}
