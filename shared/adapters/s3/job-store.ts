import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  jobMarkerPrefix,
  JobStatus,
  parseJobMarker,
  parseJobMarkerKey,
  parseJobRegistration,
  registrationKey,
  summariseJob,
  type JobMarker,
  type JobMarkerKey,
  type JobRegistration,
  type JobSummary,
} from '../../core/contract/index.js';
import { downloadKey, fromS3Metadata, type DownloadMetadata } from '../../core/download/index.js';
import { isPermanent, StorageUnavailableError } from '../../core/errors.js';

export interface DownloadInfo {
  key: string;
  metadata: DownloadMetadata;
  lastModified: Date | undefined;
  size: number | undefined;
}

/** A job as the bucket knows it: who owns it (registration) and how far its sources got (markers). */
export interface JobRecord {
  /** Undefined when no launcher registered the job (then nobody may read it). */
  registration: JobRegistration | undefined;
  /** Undefined when no source has written a marker yet. */
  job: JobSummary | undefined;
  /** Objects that could not be read as what their key says (skipped, reported). */
  invalid: Array<{ key: string; reason: string }>;
}

/** Reads a job's registration, its markers, and whether its download file exists. */
export interface JobStore {
  readJob(jobId: string): Promise<JobRecord>;
  /** The registration alone (one GET): undefined when there is none or it cannot be read. */
  readRegistration(jobId: string): Promise<JobRegistration | undefined>;
  headDownload(jobId: string): Promise<DownloadInfo | undefined>;
}

export interface JobStoreOptions {
  bucket: string;
  jobPrefix?: string;
  downloadPrefix?: string;
  registryPrefix?: string;
}

/** Markers read at once (the SDK's default agent allows 50 sockets). */
const MARKER_READ_CONCURRENCY = 16;

export function s3JobStore(s3: S3Client, o: JobStoreOptions): JobStore {
  const text = (key: string) => getText(s3, o.bucket, key);
  return {
    async readJob(jobId) {
      const invalid: JobRecord['invalid'] = [];
      const [registration, markers] = await Promise.all([readRegistration(text, jobId, o.registryPrefix, invalid), readMarkers(s3, o, jobId, invalid)]);
      return { registration, job: summariseJob(jobId, markers), invalid };
    },

    readRegistration: (jobId) => readRegistration(text, jobId, o.registryPrefix, []),

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

async function readRegistration(
  text: (key: string) => Promise<string | undefined>,
  jobId: string,
  prefix: string | undefined,
  invalid: JobRecord['invalid'],
): Promise<JobRegistration | undefined> {
  const key = registrationKey(jobId, prefix);
  const body = await text(key);
  if (body === undefined) return undefined;
  try {
    return parseJobRegistration(body, jobId);
  } catch (error) {
    // An unreadable registration grants nobody anything.
    invalid.push({ key, reason: (error as Error).message });
    return undefined;
  }
}

/** Every source's markers; a source that is final is not read for its running marker. */
async function readMarkers(s3: S3Client, o: JobStoreOptions, jobId: string, invalid: JobRecord['invalid']): Promise<JobMarker[]> {
  const prefix = jobMarkerPrefix(jobId, o.jobPrefix);
  const keys: Array<{ key: string; parsed: JobMarkerKey }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: prefix, ContinuationToken: token })).catch((error: unknown) => {
      throw unavailable(`list s3://${o.bucket}/${prefix}`, error);
    });
    for (const { Key } of page.Contents ?? []) {
      if (!Key) continue;
      try {
        keys.push({ key: Key, parsed: parseJobMarkerKey(Key, o.jobPrefix) });
      } catch (error) {
        invalid.push({ key: Key, reason: (error as Error).message });
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const final = new Set(keys.filter((k) => k.parsed.status === JobStatus.final).map((k) => k.parsed.source));
  const wanted = keys.filter((k) => k.parsed.status === JobStatus.final || !final.has(k.parsed.source));
  const markers: JobMarker[] = [];
  const readMarker = async ({ key, parsed }: { key: string; parsed: JobMarkerKey }) => {
    try {
      const body = await getText(s3, o.bucket, key);
      if (body !== undefined) markers.push(parseJobMarker(body, parsed));
    } catch (error) {
      if (!isPermanent(error)) throw error;
      invalid.push({ key, reason: (error as Error).message });
    }
  };
  // One GET per source: a 64-rank job would otherwise wait for 64 round trips in a row.
  for (let i = 0; i < wanted.length; i += MARKER_READ_CONCURRENCY) await Promise.all(wanted.slice(i, i + MARKER_READ_CONCURRENCY).map(readMarker));
  return markers;
}

const unavailable = (what: string, error: unknown) => new StorageUnavailableError(`Could not ${what}: ${(error as Error).message}`, { cause: error });

async function getText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToString('utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined; // none, or deleted between list and get
    throw unavailable(`read s3://${bucket}/${key}`, error);
  }
}

export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return error instanceof NoSuchKey || error instanceof NotFound || name === 'NoSuchKey' || name === 'NotFound';
}
