/**
 * S3 (moto) helpers for tests, benchmarks and the load run: list, empty, read back a download
 * file and the dead-letter reports.
 *
 * @example
 * await ensureBucket(s3, 'joblogs-bench');
 * const lines = await readDownloadLines(s3, bucket, jobId);   // undefined until it is complete
 * await deletePrefix(s3, bucket, `chunks/v1/${jobId}/`);
 * const chunks = await readGzipObjects(s3, bucket, `chunks/v1/${jobId}/`);   // key order, gunzipped
 */
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { downloadKey } from '../shared/core/download/index.js';

/** Creates the bucket unless it is there (ours already, or anyone's). */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
}

/** Keys under `prefix` (every page), sorted; with `since` only those modified since then (epoch ms). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string, since = 0): Promise<string[]> {
  const keys: string[] = [];
  for (let token: string | undefined; ; ) {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key && (o.LastModified?.getTime() ?? 0) >= since) keys.push(o.Key);
    if (!out.IsTruncated) return keys.sort();
    token = out.NextContinuationToken;
  }
}

/** Deletes every object under `prefix`, 1000 at a time; returns how many. */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = await listKeys(s3, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
  }
  return keys.length;
}

/**
 * Empties the bucket but keeps it: after a DeleteBucket, moto's `/moto-api/data.json` (the stack's
 * health check) answers 500 (`MissingBucket`) for as long as that bucket's keys linger in memory,
 * and the next `up` would then start a second moto.
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  await deletePrefix(s3, bucket, '');
}

/** The body of an object, whole. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Every object under `prefix`, in key order, gunzipped, with its metadata (a job's chunks as the indexer reads them). */
export async function readGzipObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Array<{ key: string; metadata: Record<string, string>; text: string }>> {
  const keys = await listKeys(s3, bucket, prefix);
  return Promise.all(
    keys.map(async (key) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8');
      return { key, metadata: out.Metadata ?? {}, text };
    }),
  );
}

/** The download file's lines without the `<time> <stream> ` prefix (docs/downloads.md), or undefined until it is complete. */
export async function readDownloadLines(s3: S3Client, bucket: string, jobId: string): Promise<string[] | undefined> {
  const key = downloadKey(jobId);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  if (head?.Metadata?.['status'] !== 'complete') return undefined;
  const text = gunzipSync(await readObject(s3, bucket, key)).toString('utf8');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => line.replace(/^\S+ (stdout|stderr) /, ''));
}

/** Every dead-letter report under `prefix`, parsed, with its object key. */
export async function deadLetterReports(
  stack: { s3: S3Client; bucket: string },
  prefix = 'dead-letter/indexer/',
): Promise<Array<{ objectKey: string; report: Record<string, any> }>> {
  const keys = await listKeys(stack.s3, stack.bucket, prefix);
  return Promise.all(
    keys.map(async (objectKey) => ({
      objectKey,
      report: JSON.parse((await readObject(stack.s3, stack.bucket, objectKey)).toString('utf8')) as Record<string, any>,
    })),
  );
}
