import { isPreconditionFailed, type S3ObjectClient } from '../adapters/s3/object-client.js';
import { newJobRegistration, parseJobRegistration, registrationKey, REGISTRY_PREFIX, type JobRegistration } from '../core/contract/index.js';
import { PermanentError, StorageUnavailableError } from '../core/errors.js';

/** The job id is registered already, for another owner or team. */
export class JobAlreadyRegisteredError extends PermanentError {
  readonly code = 'JOB_ALREADY_REGISTERED';
}

export interface RegisterJobOptions {
  /** `sdkObjectClient(new S3Client({}))`, or the CLI's `SigV4ObjectClient`. */
  s3: Pick<S3ObjectClient, 'putObject' | 'getObjectText'>;
  bucket: string;
  jobId: string;
  owner: string;
  team?: string | undefined;
  labels?: Record<string, string>;
  registryPrefix?: string;
  now?: () => Date;
}

/**
 * Records who owns a job, once, before it starts (docs/chunk-contract.md, "Job registration"). The
 * platform's launcher calls it with its own credentials — the only ones that may write
 * `registry/` — and then hands the job credentials that may write nothing but the job's own
 * chunks and markers ({@link producerCredentials}). Written with `If-None-Match: *`: registering
 * the same job again with the same owner and team is a no-op; with others it is refused.
 *
 * @example
 * await registerJob({ s3, bucket: 'joblogs-prod-logs', jobId: 'train-42', owner: 'alice', team: 'vision' });
 */
export async function registerJob(o: RegisterJobOptions): Promise<JobRegistration> {
  const registration = newJobRegistration({ jobId: o.jobId, owner: o.owner, team: o.team, labels: o.labels, now: (o.now ?? (() => new Date()))() });
  const Key = registrationKey(o.jobId, o.registryPrefix ?? REGISTRY_PREFIX);
  try {
    await o.s3.putObject({ bucket: o.bucket, key: Key, body: JSON.stringify(registration), contentType: 'application/json', ifNoneMatch: '*' });
    return registration;
  } catch (error) {
    if (!isPreconditionFailed(error)) throw new StorageUnavailableError(`Could not register job ${o.jobId}: ${(error as Error).message}`, { cause: error });
  }
  const existing = await readRegistration(o.s3, o.bucket, Key, o.jobId);
  if (existing.owner !== registration.owner || existing.team !== registration.team) {
    throw new JobAlreadyRegisteredError(`Job ${o.jobId} is registered already, for another owner or team; pick another job id`);
  }
  return existing;
}

async function readRegistration(s3: Pick<S3ObjectClient, 'getObjectText'>, bucket: string, key: string, jobId: string): Promise<JobRegistration> {
  try {
    return parseJobRegistration(await s3.getObjectText({ bucket, key }), jobId);
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw new StorageUnavailableError(`Could not read the registration of job ${jobId}: ${(error as Error).message}`, { cause: error });
  }
}
