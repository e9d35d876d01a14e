import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CHUNK_CONTRACT_VERSION } from '../shared/core/contract/index.js';
import { CliConfigError } from './errors.js';

/** An S3 client from the SDK's standard configuration (AWS_REGION, credential chain, AWS_ENDPOINT_URL). */
export function createS3Client(options: { forcePathStyle?: boolean }): S3Client {
  // The uploader retries forever with its own backoff; one SDK retry per attempt is enough.
  return new S3Client({ forcePathStyle: options.forcePathStyle ?? false, maxAttempts: 2 });
}

/**
 * Fails fast on configuration the job cannot fix later: no region or credentials, a bucket that
 * does not exist or is not ours. An unreachable S3 only warns: the job runs and chunks spool.
 * It lists the job's own chunk prefix (one key at most): all a job's scoped credentials may list
 * (HeadBucket needs an unconditional s3:ListBucket, which producers do not get).
 */
export async function checkBucket(s3: S3Client, at: { bucket: string; prefix: string; jobId: string }, warn: (message: string) => void): Promise<void> {
  const { bucket } = at;
  try {
    const Prefix = `${at.prefix}${CHUNK_CONTRACT_VERSION}/${at.jobId}/`;
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (e.name === 'CredentialsProviderError') throw new CliConfigError(`no AWS credentials found (${e.message})`, { cause: error });
    if (/region is missing/i.test(e.message ?? '')) throw new CliConfigError('no AWS region: set AWS_REGION', { cause: error });
    if (status === 404 || e.name === 'NotFound' || e.name === 'NoSuchBucket') throw new CliConfigError(`bucket ${bucket} does not exist`, { cause: error });
    if (status === 403) throw new CliConfigError(`access to bucket ${bucket} denied (check the credentials and the bucket name)`, { cause: error });
    if (status === 400 || status === 301) throw new CliConfigError(`bucket ${bucket} rejected the request (${e.name}; wrong region?)`, { cause: error });
    warn(`cannot reach S3 to check bucket ${bucket} (${e.name ?? 'Error'}: ${e.message}); starting anyway, chunks will spool until it answers`);
  }
}
