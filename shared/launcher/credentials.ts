import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { isValidJobId } from '../core/contract/index.js';
import { ConfigError, StorageUnavailableError } from '../core/errors.js';
import { parseIdleFlushIntervalMs } from './cadence.js';

/** The session tag the producer role's policy reads (`${aws:PrincipalTag/joblogs-job}`). */
export const JOB_TAG = 'joblogs-job';

export interface ProducerCredentialsOptions {
  sts: STSClient;
  /** The stage's producer role (stack output `ProducerRoleArn`). */
  roleArn: string;
  jobId: string;
  bucket: string;
  /** The stage's region, handed to the job as `AWS_REGION` (left out: the job's own). */
  region?: string;
  /** 15 min to 12 h (the role's maximum session duration); default 12 h, a training run's length. */
  durationSeconds?: number;
  /**
   * The stage's idle flush interval (stack output `ShipperIdleFlushIntervalMs`, the stage parameter
   * `idleFlushIntervalMs`): how often the job's shippers seal a chunk while nobody watches it.
   * Handed to the job as `JOBLOGS_IDLE_FLUSH_INTERVAL_MS`; left out, the shippers' own default.
   */
  idleFlushIntervalMs?: number | string;
}

/**
 * Credentials for one job's containers: the stage's producer role, assumed with the session tag
 * `joblogs-job=<jobId>`, whose policy lets them write only `chunks/v1/<jobId>/…` and
 * `jobs/v1/<jobId>/…`, each key once — never another job's keys, the registry, downloads or
 * anything else. Returned as the environment the job's container gets.
 *
 * @example
 * const env = await producerCredentials({ sts, roleArn, jobId: 'train-42', bucket, idleFlushIntervalMs: outputs.ShipperIdleFlushIntervalMs });
 * spawn('joblogs', ['run', '--', 'python', 'train.py'], { env: { ...process.env, ...env } });
 */
export async function producerCredentials(o: ProducerCredentialsOptions): Promise<Record<string, string>> {
  if (!isValidJobId(o.jobId)) throw new ConfigError(`Invalid job id ${JSON.stringify(o.jobId)}`, { problems: ['jobId'] });
  const cadence: Record<string, string> =
    o.idleFlushIntervalMs === undefined ? {} : { JOBLOGS_IDLE_FLUSH_INTERVAL_MS: String(parseIdleFlushIntervalMs(o.idleFlushIntervalMs)) };
  const out = await o.sts
    .send(
      new AssumeRoleCommand({
        RoleArn: o.roleArn,
        RoleSessionName: `joblogs-${o.jobId}`.slice(0, 64),
        DurationSeconds: o.durationSeconds ?? 12 * 3600,
        Tags: [{ Key: JOB_TAG, Value: o.jobId }],
        TransitiveTagKeys: [JOB_TAG],
      }),
    )
    .catch((error: unknown) => {
      throw new StorageUnavailableError(`Could not assume the producer role for job ${o.jobId}: ${(error as Error).message}`, { cause: error });
    });
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new StorageUnavailableError('STS returned no credentials');
  return {
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    AWS_SESSION_TOKEN: c.SessionToken,
    // The SDKs' environment credentials read it: a job past it is told its credentials expired.
    ...(c.Expiration ? { AWS_CREDENTIAL_EXPIRATION: c.Expiration.toISOString() } : {}),
    JOBLOGS_JOB_ID: o.jobId,
    JOBLOGS_BUCKET: o.bucket,
    ...(o.region ? { AWS_REGION: o.region } : {}),
    ...cadence,
  };
}
