/**
 * The template `sls package --stage ci` generates (offline, no AWS credentials) has the shape
 * the pipeline's security and delivery guarantees rest on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { packageDir, packageService, readTemplate } from '../../scripts/local/package.js';
import type { CfnResource, CfnTemplate } from '../../scripts/local/cfn.js';
import { readServerlessYml, stageParam } from '../support/serverless-yml.js';

const STAGE = 'ci';
const BUCKET = `joblogs-${STAGE}-logs`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let template: CfnTemplate;
let templateText: string;

beforeAll(async () => {
  const file = await packageService(STAGE);
  templateText = readFileSync(file, 'utf8');
  template = readTemplate(file);
}, 300_000);

function res(logicalId: string, type: string): Required<CfnResource> {
  const r = template.Resources[logicalId];
  expect(r, `resource ${logicalId}`).toBeDefined();
  expect(r!.Type).toBe(type);
  return r as Required<CfnResource>;
}

const props = (logicalId: string, type: string): Record<string, any> => res(logicalId, type).Properties;
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Every statement of every identity policy (role inline policies, managed and inline policies). */
function identityStatements(): Statement[] {
  const out: Statement[] = [];
  for (const r of Object.values(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      for (const policy of (p['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>) ?? []) out.push(...policy.PolicyDocument.Statement);
    }
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      out.push(...(p['PolicyDocument'] as { Statement: Statement[] }).Statement);
    }
  }
  return out;
}

function statementFor(action: string): Statement {
  const found = identityStatements().filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));
  expect(found, `one Allow statement for ${action}`).toHaveLength(1);
  return found[0]!;
}

describe('sls package --stage ci', () => {
  it('writes the template and the bundled indexer, without the AWS SDK', () => {
    const zip = path.join(packageDir(STAGE), 'indexer.zip');
    expect(existsSync(zip)).toBe(true);
    const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(entries).toContain('functions/indexer/handler.mjs');
    expect(entries).toContain('functions/indexer/handler.mjs.map');
    expect(entries.filter((e) => e.includes('node_modules'))).toEqual([]);
    const bundle = execFileSync('unzip', ['-p', zip, 'functions/indexer/handler.mjs'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-s3"/); // external, not bundled
  });
});

describe('LogBucket', () => {
  it('is encrypted at rest with a bucket key', () => {
    const [rule] = props('LogBucket', 'AWS::S3::Bucket')['BucketEncryption'].ServerSideEncryptionConfiguration;
    expect(['AES256', 'aws:kms']).toContain(rule.ServerSideEncryptionByDefault.SSEAlgorithm);
    expect(rule.BucketKeyEnabled).toBe(true);
  });

  it('blocks every kind of public access and disables ACLs', () => {
    const p = props('LogBucket', 'AWS::S3::Bucket');
    expect(p['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p['OwnershipControls'].Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
  });

  it('denies any request not made over TLS, for the bucket and its objects', () => {
    const p = props('LogBucketPolicy', 'AWS::S3::BucketPolicy');
    expect(p['Bucket']).toEqual({ Ref: 'LogBucket' });
    const deny = (p['PolicyDocument'].Statement as Statement[]).find((s) => s.Effect === 'Deny');
    expect(deny).toBeDefined();
    expect(deny!.Principal).toBe('*');
    expect(asArray(deny!.Action)).toContain('s3:*');
    expect(String(deny!.Condition?.['Bool']?.['aws:SecureTransport'])).toBe('false');
    expect(asArray(deny!.Resource)).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}` },
      { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/*` },
    ]);
  });

  it(`expires raw chunks after the ${STAGE} stage's chunkRetentionDays, dead letters later, and aborts stale uploads`, () => {
    const rules = props('LogBucket', 'AWS::S3::Bucket')['LifecycleConfiguration'].Rules as Array<Record<string, any>>;
    const expected = Number(stageParam(readServerlessYml(), STAGE, 'chunkRetentionDays'));
    expect(expected).toBeGreaterThan(0);
    const chunks = rules.find((r) => r['Prefix'] === 'chunks/' || r['Filter']?.Prefix === 'chunks/');
    expect(chunks).toMatchObject({ Status: 'Enabled', ExpirationInDays: expected });
    const deadLetters = rules.find((r) => r['Prefix'] === 'dead-letter/' || r['Filter']?.Prefix === 'dead-letter/');
    expect(deadLetters?.['Status']).toBe('Enabled');
    expect(deadLetters?.['ExpirationInDays']).toBeGreaterThanOrEqual(expected);
    expect(rules.some((r) => r['Status'] === 'Enabled' && r['AbortIncompleteMultipartUpload']?.DaysAfterInitiation >= 1)).toBe(true);
  });

  it('announces new chunks (chunks/ … .log.gz) to the chunk queue, after the queue policy exists', () => {
    const r = res('LogBucket', 'AWS::S3::Bucket');
    expect(asArray(r.DependsOn)).toContain('ChunkQueuePolicy');
    const configs = (r.Properties as Record<string, any>)['NotificationConfiguration'].QueueConfigurations as Array<Record<string, any>>;
    expect(configs).toHaveLength(1);
    expect(configs[0]).toEqual({
      Event: 's3:ObjectCreated:*',
      Queue: { 'Fn::GetAtt': ['ChunkQueue', 'Arn'] },
      Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'chunks/' }, { Name: 'suffix', Value: '.log.gz' }] } },
    });
  });
});

describe('ChunkQueue', () => {
  it('accepts messages only from S3 on behalf of the log bucket in this account', () => {
    const p = props('ChunkQueuePolicy', 'AWS::SQS::QueuePolicy');
    expect(p['Queues']).toEqual([{ Ref: 'ChunkQueue' }]);
    const statements = p['PolicyDocument'].Statement as Statement[];
    expect(statements).toHaveLength(1);
    const [s] = statements as [Statement];
    expect(s.Effect).toBe('Allow');
    expect(s.Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(asArray(s.Action)).toEqual(['sqs:SendMessage']);
    const sourceArn = s.Condition?.['ArnEquals']?.['aws:SourceArn'] ?? s.Condition?.['ArnLike']?.['aws:SourceArn'];
    expect(sourceArn).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}` });
    expect(s.Condition?.['StringEquals']?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('is encrypted and redrives to the DLQ after 5 receives', () => {
    const p = props('ChunkQueue', 'AWS::SQS::Queue');
    expect(p['SqsManagedSseEnabled']).toBe(true);
    expect(p['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['ChunkDLQ', 'Arn'] }, maxReceiveCount: 5 });
    const dlq = props('ChunkDLQ', 'AWS::SQS::Queue');
    expect(dlq['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
    expect(dlq['SqsManagedSseEnabled']).toBe(true);
  });

  it('keeps a message invisible for at least 6x the indexer timeout', () => {
    const timeout = props('IndexerLambdaFunction', 'AWS::Lambda::Function')['Timeout'] as number;
    expect(timeout).toBe(120);
    expect(props('ChunkQueue', 'AWS::SQS::Queue')['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * timeout);
  });
});

describe('indexer function', () => {
  it('runs on nodejs24.x / arm64 with the planned size', () => {
    const p = props('IndexerLambdaFunction', 'AWS::Lambda::Function');
    expect(p['Runtime']).toBe('nodejs24.x');
    expect(p['Architectures']).toEqual(['arm64']);
    expect(p['Handler']).toBe('functions/indexer/handler.handler');
    expect(p['MemorySize']).toBe(1024);
    expect(p['ReservedConcurrentExecutions']).toBeGreaterThan(0);
  });

  it('consumes the chunk queue in batches of 10 with a 1 s window and partial batch responses', () => {
    const mappings = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': ['ChunkQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['IndexerLambdaFunction', 'Arn'] },
      Enabled: true,
    });
  });

  it('gets an environment the indexer config accepts, naming the credentials parameter, not the secret', () => {
    const env = props('IndexerLambdaFunction', 'AWS::Lambda::Function')['Environment'].Variables as Record<string, string>;
    expect(env).toMatchObject({
      STAGE: STAGE,
      LOG_BUCKET: BUCKET,
      ES_CREDENTIALS_PARAM: `/joblogs/${STAGE}/es-credentials`,
    });
    expect(env['NODE_OPTIONS']).toContain('--enable-source-maps');
    expect(env['ES_NODE']).toBe(stageParam(readServerlessYml(), STAGE, 'esNode'));
    for (const value of Object.values(env)) expect(typeof value, 'env values are literal strings').toBe('string');
    const config = loadIndexerConfig(env);
    expect(config.logBucket).toBe(BUCKET);
  });
});

describe('IAM', () => {
  it('grants no wildcard actions', () => {
    const statements = identityStatements();
    expect(statements.length).toBeGreaterThan(3);
    const actions = statements.flatMap((s) => asArray(s.Action));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('reads only chunks/ and writes only dead-letter/ of the log bucket', () => {
    expect(statementFor('s3:GetObject').Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/chunks/*` });
    expect(statementFor('s3:PutObject').Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/dead-letter/*` });
    const s3Actions = identityStatements().flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(['s3:GetObject', 's3:PutObject']);
  });

  it('reads only its own credentials parameter, decrypting only through SSM', () => {
    expect(statementFor('ssm:GetParameters').Resource).toEqual({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/joblogs/${STAGE}/es-credentials`,
    });
    const kms = statementFor('kms:Decrypt');
    expect(asArray(kms.Action)).toEqual(['kms:Decrypt']);
    expect(kms.Condition?.['StringEquals']?.['kms:ViaService']).toEqual({ 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' });
  });

  it('consumes only the chunk queue', () => {
    const sqs = identityStatements().filter((s) => asArray(s.Action).some((a) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect(asArray(sqs[0]!.Action).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    expect(asArray(sqs[0]!.Resource)).toEqual([{ 'Fn::GetAtt': ['ChunkQueue', 'Arn'] }]);
  });
});

describe('the template as a whole', () => {
  it('contains no secret values', () => {
    expect(templateText).not.toMatch(/password|passwd|api_?key|secret_?access|private_?key/i);
    expect(templateText).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(templateText).not.toMatch(/"username"/i);
  });

  it('outputs the bucket and queue coordinates', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['LogBucketName', 'ChunkQueueUrl', 'ChunkQueueArn', 'ChunkDLQUrl', 'ChunkDLQArn']),
    );
    expect(template.Outputs!['LogBucketName']!.Value).toEqual({ Ref: 'LogBucket' });
    expect(template.Outputs!['ChunkQueueUrl']!.Value).toEqual({ Ref: 'ChunkQueue' });
  });
});
