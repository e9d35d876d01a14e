/**
 * What a job's credentials, the launcher and everyone else may do with the log bucket, evaluated
 * as IAM evaluates it — the producer role's identity policy (with the job's session tag) and the
 * bucket policy together, conditions and policy variables included. moto does not enforce IAM, so
 * this evaluation of the packaged template is the proof of the access model (docs/security.md).
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localResolver, packageService, readTemplate, resolveIntrinsics, type CfnTemplate } from '../../testkit/stack/index.js';
import { writeSuiteResults, type SuiteRow } from '../../testkit/suite-results.js';

const STAGE = 'ci';
const ACCOUNT = '123456789012';
const BUCKET = `joblogs-${STAGE}-logs`;
let template: CfnTemplate;
const rows: SuiteRow[] = [];

beforeAll(async () => {
  template = readTemplate(await packageService(STAGE));
}, 300_000);

afterAll(() => {
  if (rows.length > 0)
    writeSuiteResults({
      suite: 'access-policy',
      title: 'Access model: producer, launcher and bucket policies evaluated as IAM does (`sls package --stage ci`)',
      notes: ['Evaluated with @cloud-copilot/iam-simulate: identity policy + bucket policy, session tag joblogs-job, If-None-Match condition key.'],
      rows,
    });
});

type Policy = { Version: string; Statement: unknown[] };

function resolved<T>(value: unknown): T {
  return resolveIntrinsics(value, localResolver(template, { region: 'us-east-1', accountId: ACCOUNT, motoUrl: 'http://127.0.0.1' })) as T;
}

function rolePolicy(logicalId: string): Policy {
  const role = template.Resources[logicalId]!;
  const document = (role.Properties!['Policies'] as Array<{ PolicyDocument: Policy }>)[0]!.PolicyDocument;
  // Statements under Fn::If are the cluster identity's (SSM, KMS, es:), never S3: left out, as AWS::NoValue has no local value.
  return resolved<Policy>({ ...document, Statement: document.Statement.filter((s) => !(s as Record<string, unknown>)['Fn::If']) });
}

function bucketPolicy(): Policy {
  const [, policy] = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes('LogBucket'),
  )!;
  return resolved<Policy>(policy.Properties!['PolicyDocument']);
}

interface Request {
  as: 'producer' | 'launcher' | 'signer' | 'logsApi';
  job?: string;
  action: string;
  key?: string;
  /** `s3:prefix` of a ListBucket. */
  prefix?: string;
  conditional?: boolean;
}

const PRINCIPAL = {
  producer: `arn:aws:sts::${ACCOUNT}:assumed-role/joblogs-${STAGE}-producer/joblogs-job-1`,
  launcher: `arn:aws:sts::${ACCOUNT}:assumed-role/LauncherRole/launcher`,
  signer: `arn:aws:sts::${ACCOUNT}:assumed-role/SignerRole/signer`,
  logsApi: `arn:aws:sts::${ACCOUNT}:assumed-role/LogsApiRole/logs`,
};
const ROLE = {
  producer: `arn:aws:iam::${ACCOUNT}:role/joblogs-${STAGE}-producer`,
  launcher: `arn:aws:iam::${ACCOUNT}:role/LauncherRole`,
  signer: `arn:aws:iam::${ACCOUNT}:role/SignerRole`,
  logsApi: `arn:aws:iam::${ACCOUNT}:role/LogsApiRole`,
};
const LOGICAL = { producer: 'ProducerRole', launcher: 'LauncherRole', signer: 'SignerRole', logsApi: 'LogsApiRole' };

async function decide(r: Request): Promise<string> {
  const context: Record<string, string> = { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': ROLE[r.as], 'aws:PrincipalAccount': ACCOUNT };
  if (r.job) context['aws:PrincipalTag/joblogs-job'] = r.job;
  if (r.conditional) context['s3:if-none-match'] = '*';
  if (r.prefix !== undefined) context['s3:prefix'] = r.prefix;
  const simulation: Simulation = {
    identityPolicies: [{ name: LOGICAL[r.as], policy: rolePolicy(LOGICAL[r.as]) }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: bucketPolicy(),
    request: {
      action: r.action,
      principal: PRINCIPAL[r.as],
      resource: { accountId: ACCOUNT, resource: r.key === undefined ? `arn:aws:s3:::${BUCKET}` : `arn:aws:s3:::${BUCKET}/${r.key}` },
      contextVariables: context,
    },
  };
  const out = await runSimulation(simulation, {});
  if (out.resultType === 'error') throw new Error(JSON.stringify(out.errors));
  return out.overallResult;
}

async function expectDecision(r: Request, allowed: boolean, name: string): Promise<void> {
  const result = await decide(r);
  const input = `${r.as}${r.job ? ` of ${r.job}` : ''}: ${r.action} ${r.key ?? `prefix ${r.prefix ?? '(none)'}`}${r.conditional ? ' If-None-Match: *' : ''}`;
  rows.push({ name, input, expected: allowed ? 'Allowed' : 'denied', observed: result, pass: allowed === (result === 'Allowed') });
  expect(result === 'Allowed', `${input} → ${result}`).toBe(allowed);
}

describe("a job's credentials (producer role, session tag joblogs-job=job-1)", () => {
  it('may write its own chunks and markers, each key once', async () => {
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: true },
      true,
      'producer-writes-own-chunk',
    );
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'jobs/v1/job-1/main/final.json', conditional: true },
      true,
      'producer-writes-own-marker',
    );
  });

  it('may not overwrite: a PUT without If-None-Match is refused, even of its own keys', async () => {
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: false },
      false,
      'producer-overwrites-own-chunk',
    );
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'jobs/v1/job-1/main/final.json', conditional: false },
      false,
      'producer-overwrites-own-marker',
    );
  });

  it("may not write another job's keys, the registry, downloads, dead letters or checkpoints", async () => {
    for (const key of [
      'chunks/v1/job-2/main/0000000000.log.gz',
      'jobs/v1/job-2/main/running.json',
      'jobs/v1/job-10/main/running.json',
      'registry/v1/job-1.json',
      'registry/v1/job-2.json',
      'downloads/job-1.log.gz',
      'dead-letter/indexer/x.json',
      'checkpoints/indexer/x.json',
    ]) {
      await expectDecision({ as: 'producer', job: 'job-1', action: 's3:PutObject', key, conditional: true }, false, `producer-writes-${key.split('/')[0]}`);
    }
  });

  it('may read back only its own keys, list only its own prefixes, delete nothing', async () => {
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'chunks/v1/job-1/main/0000000000.log.gz' },
      true,
      'producer-reads-own-chunk',
    );
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'chunks/v1/job-2/main/0000000000.log.gz' },
      false,
      'producer-reads-other-chunk',
    );
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'downloads/job-2.log.gz' }, false, 'producer-reads-download');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'registry/v1/job-2.json' }, false, 'producer-reads-registry');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:ListBucket', prefix: 'chunks/v1/job-1/' }, true, 'producer-lists-own');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:ListBucket', prefix: 'chunks/v1/job-2/' }, false, 'producer-lists-other');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:ListBucket' }, false, 'producer-lists-bucket');
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:DeleteObject', key: 'chunks/v1/job-1/main/0000000000.log.gz' },
      false,
      'producer-deletes-own',
    );
  });

  it("reads only its own job's watch signal, and lists only that key; never writes a signal", async () => {
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'watch/v1/job-1.json' }, true, 'producer-reads-own-watch');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'watch/v1/job-2.json' }, false, 'producer-reads-other-watch');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:GetObject', key: 'watch/v1/job-10.json' }, false, 'producer-reads-longer-watch');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:ListBucket', prefix: 'watch/v1/job-1.json' }, true, 'producer-lists-own-watch');
    await expectDecision({ as: 'producer', job: 'job-1', action: 's3:ListBucket', prefix: 'watch/v1/' }, false, 'producer-lists-watches');
    for (const conditional of [true, false]) {
      await expectDecision(
        { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'watch/v1/job-1.json', conditional },
        false,
        `producer-writes-own-watch${conditional ? '-once' : ''}`,
      );
    }
    await expectDecision(
      { as: 'producer', job: 'job-1', action: 's3:PutObject', key: 'watch/v1/job-2.json', conditional: true },
      false,
      'producer-writes-other-watch',
    );
  });

  it('without a job tag may do nothing at all', async () => {
    await expectDecision(
      { as: 'producer', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: true },
      false,
      'producer-untagged',
    );
  });
});

describe('the launcher role', () => {
  it('registers a job once, and writes nothing a job writes', async () => {
    await expectDecision({ as: 'launcher', action: 's3:PutObject', key: 'registry/v1/job-1.json', conditional: true }, true, 'launcher-registers');
    await expectDecision({ as: 'launcher', action: 's3:PutObject', key: 'registry/v1/job-1.json', conditional: false }, false, 'launcher-re-registers');
    await expectDecision(
      { as: 'launcher', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: true },
      false,
      'launcher-writes-chunk',
    );
  });
});

describe('the logs API role', () => {
  it('writes watch signals (overwriting), and nothing a job or the launcher writes', async () => {
    await expectDecision({ as: 'logsApi', action: 's3:PutObject', key: 'watch/v1/job-1.json' }, true, 'logs-api-signals-watching');
    await expectDecision(
      { as: 'logsApi', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: true },
      false,
      'logs-api-writes-chunk',
    );
    await expectDecision({ as: 'logsApi', action: 's3:PutObject', key: 'registry/v1/job-1.json', conditional: true }, false, 'logs-api-registers');
  });

  it("reads a job's archive (docs/archive.md) but not its download file, and writes neither", async () => {
    await expectDecision({ as: 'logsApi', action: 's3:GetObject', key: 'downloads/job-1.archive.json' }, true, 'logs-api-reads-archive-index');
    await expectDecision({ as: 'logsApi', action: 's3:GetObject', key: 'downloads/job-1.archive.gz' }, true, 'logs-api-reads-archive-records');
    await expectDecision({ as: 'logsApi', action: 's3:GetObject', key: 'downloads/job-1.log.gz' }, false, 'logs-api-reads-download');
    await expectDecision({ as: 'logsApi', action: 's3:PutObject', key: 'downloads/job-1.archive.json' }, false, 'logs-api-writes-archive');
  });
});

describe('the signer role', () => {
  it('writes watch signals (a running job asked for), and nothing a job, the launcher or the assembler writes', async () => {
    await expectDecision({ as: 'signer', action: 's3:PutObject', key: 'watch/v1/job-1.json' }, true, 'signer-signals-watching');
    await expectDecision({ as: 'signer', action: 's3:PutObject', key: 'registry/v1/job-1.json', conditional: true }, false, 'signer-registers');
    await expectDecision(
      { as: 'signer', action: 's3:PutObject', key: 'chunks/v1/job-1/main/0000000000.log.gz', conditional: true },
      false,
      'signer-writes-chunk',
    );
    await expectDecision({ as: 'signer', action: 's3:PutObject', key: 'downloads/job-1.log.gz' }, false, 'signer-writes-download');
  });
});

describe('every other role', () => {
  it('cannot write a watch signal', async () => {
    await expectDecision({ as: 'launcher', action: 's3:PutObject', key: 'watch/v1/job-1.json' }, false, 'launcher-signals-watching');
  });
});

describe("the producer role's trust", () => {
  it('lets only the launcher assume it, only with a joblogs-job tag', () => {
    const trust = resolved<{ Statement: Array<Record<string, any>> }>(template.Resources['ProducerRole']!.Properties!['AssumeRolePolicyDocument']);
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/LauncherRole` },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringLike: { 'aws:RequestTag/joblogs-job': '?*' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['joblogs-job'] } },
      }),
    ]);
  });
});
