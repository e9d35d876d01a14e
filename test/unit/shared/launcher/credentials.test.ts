import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/core/errors.js';
import { producerCredentials } from '../../../../shared/launcher/index.js';

const sts = mockClient(STSClient);
afterEach(() => sts.reset());
const CREDENTIALS = { AccessKeyId: 'ASIA0000', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2026-12-01T00:00:00Z') };
const base = { sts: new STSClient({ region: 'us-east-1' }), roleArn: 'arn:aws:iam::123456789012:role/producer', jobId: 'train-42', bucket: 'logs' };

describe('producerCredentials', () => {
  it("assumes the producer role tagged with the job (transitively) and returns the job's environment", async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: CREDENTIALS });
    expect(await producerCredentials(base)).toEqual({
      AWS_ACCESS_KEY_ID: 'ASIA0000',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_CREDENTIAL_EXPIRATION: '2026-12-01T00:00:00.000Z',
      JOBLOGS_JOB_ID: 'train-42',
      JOBLOGS_BUCKET: 'logs',
    });
    expect((await producerCredentials({ ...base, region: 'eu-west-1' }))['AWS_REGION']).toBe('eu-west-1');
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({
      RoleArn: base.roleArn,
      Tags: [{ Key: 'joblogs-job', Value: 'train-42' }],
      TransitiveTagKeys: ['joblogs-job'],
      DurationSeconds: 12 * 3600,
    });
  });

  it("hands the job the stage's idle flush interval, from a number or the stack output's string", async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: CREDENTIALS });
    expect((await producerCredentials({ ...base, idleFlushIntervalMs: 300_000 }))['JOBLOGS_IDLE_FLUSH_INTERVAL_MS']).toBe('300000');
    expect((await producerCredentials({ ...base, idleFlushIntervalMs: '30000' }))['JOBLOGS_IDLE_FLUSH_INTERVAL_MS']).toBe('30000');
    expect((await producerCredentials({ ...base, idleFlushIntervalMs: 0 }))['JOBLOGS_IDLE_FLUSH_INTERVAL_MS']).toBe('0');
    expect((await producerCredentials({ ...base, idleFlushIntervalMs: 3_600_000 }))['JOBLOGS_IDLE_FLUSH_INTERVAL_MS']).toBe('3600000');
  });

  it.each([-1, 1.5, Number.NaN, '', '30 s', '-5', '1e4', 3_600_001, '86400000'])(
    'refuses the idle flush interval %j before asking STS for anything',
    async (value) => {
      const error = await producerCredentials({ ...base, idleFlushIntervalMs: value }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual(['idleFlushIntervalMs']);
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    },
  );

  it('refuses an invalid job id before asking STS for anything', async () => {
    await expect(producerCredentials({ ...base, jobId: '../other' })).rejects.toBeInstanceOf(ConfigError);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});
