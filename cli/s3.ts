import { s3ErrorStatus, type S3ObjectClient } from '../shared/adapters/s3/object-client.js';
import { SigV4ObjectClient } from '../shared/adapters/s3/sigv4-object-client.js';
import { CHUNK_CONTRACT_VERSION } from '../shared/core/contract/index.js';
import { CliConfigError } from './errors.js';

/**
 * The producer's S3 client from the SDK's standard configuration (AWS_REGION, the default credential
 * chain, AWS_ENDPOINT_URL[_S3]): SigV4 over node:https without `@aws-sdk/client-s3`, which the CLI
 * bundle leaves out (docs/shipper-footprint.md). One attempt per call: the uploader retries with its own backoff.
 */
export function createS3Client(options: { forcePathStyle?: boolean }): S3ObjectClient {
  return new SigV4ObjectClient({ forcePathStyle: options.forcePathStyle ?? false });
}

/**
 * Fails fast on configuration the job cannot fix later: no region or credentials, a bucket that
 * does not exist or is not ours. An unreachable S3 only warns: the job runs and chunks spool.
 * It lists the job's own chunk prefix (one key at most): all a job's scoped credentials may list
 * (HeadBucket needs an unconditional s3:ListBucket, which producers do not get).
 */
export async function checkBucket(s3: S3ObjectClient, at: { bucket: string; prefix: string; jobId: string }, warn: (message: string) => void): Promise<void> {
  const { bucket } = at;
  try {
    const Prefix = `${at.prefix}${CHUNK_CONTRACT_VERSION}/${at.jobId}/`;
    await s3.listKeys({ bucket, prefix: Prefix, maxKeys: 1 }, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const status = s3ErrorStatus(error);
    if (e.name === 'CredentialsProviderError') throw new CliConfigError(`no AWS credentials found (${e.message})`, { cause: error });
    if (/region is missing/i.test(e.message ?? '')) throw new CliConfigError('no AWS region: set AWS_REGION', { cause: error });
    if (status === 404 || e.name === 'NotFound' || e.name === 'NoSuchBucket') throw new CliConfigError(`bucket ${bucket} does not exist`, { cause: error });
    if (status === 403) throw new CliConfigError(`access to bucket ${bucket} denied (check the credentials and the bucket name)`, { cause: error });
    if (status === 400 || status === 301) throw new CliConfigError(`bucket ${bucket} rejected the request (${e.name}; wrong region?)`, { cause: error });
    warn(`cannot reach S3 to check bucket ${bucket} (${e.name ?? 'Error'}: ${e.message}); starting anyway, chunks will spool until it answers`);
  }
}
