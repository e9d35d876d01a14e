/**
 * The template `sls package --stage ci` generates (offline, no AWS credentials) has the shape
 * the pipeline's security and delivery guarantees rest on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { LOCAL_DIR } from '../../testkit/paths.js';
import {
  packageDir,
  packageService,
  readServerlessYml,
  readTemplate,
  resolveConditions,
  resource,
  stageParam,
  type CfnResource,
  type CfnTemplate,
} from '../../testkit/stack/index.js';

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

/** The stage as packaged (clusterAuth secret), its conditions applied as CloudFormation would. */
let template: CfnTemplate;
let templateText: string;
/** The same stage for Amazon OpenSearch Service with IAM (`--param clusterAuth=iam …`). */
let iamTemplate: CfnTemplate;
const DOMAIN = 'joblogs-logs';

/** What `sls package` says for stage settings it must refuse. */
const refusals: Record<string, string> = {};

/** `sls package` with these parameters; its output when it refuses, else `accepted`. */
function packageRefusal(params: Record<string, string>): string {
  try {
    execFileSync(
      path.join('node_modules', '.bin', 'sls'),
      ['package', '--stage', STAGE, '--package', path.join(LOCAL_DIR, 'sls', 'ci-refused'), ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`)],
      {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      },
    );
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  return 'accepted';
}

beforeAll(async () => {
  // Every `sls package` empties `.serverless/` first (its work folder), whatever `--package` says:
  // the other packagings go before the one the tests read there.
  const iam = await packageService(STAGE, {
    dir: path.join(LOCAL_DIR, 'sls', 'ci-iam'),
    params: { clusterKind: 'opensearch-2', clusterAuth: 'iam', clusterDomain: DOMAIN },
  });
  iamTemplate = resolveConditions(readTemplate(iam));
  refusals['es-7'] = packageRefusal({ clusterKind: 'es-7' });
  refusals['iam-es'] = packageRefusal({ clusterAuth: 'iam' });
  refusals['iam-no-domain'] = packageRefusal({ clusterKind: 'opensearch-2', clusterAuth: 'iam' });
  refusals['idle-flush'] = packageRefusal({ idleFlushIntervalMs: '30s' });
  const file = await packageService(STAGE);
  templateText = readFileSync(file, 'utf8');
  template = resolveConditions(readTemplate(file));
}, 300_000);

function res(logicalId: string, type: string): Required<CfnResource> {
  const r = template.Resources[logicalId];
  expect(r, `resource ${logicalId}`).toBeDefined();
  expect(r!.Type).toBe(type);
  return r as Required<CfnResource>;
}

const resourcesOf = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
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
    expect(asArray(deny!.Resource)).toEqual([{ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}` }, { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/*` }]);
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

  it('announces new chunks (chunks/ … .log.gz) to the chunk queue and job markers (jobs/ … .json) to the assemble queue, after both queue policies exist', () => {
    const r = res('LogBucket', 'AWS::S3::Bucket');
    expect(asArray(r.DependsOn)).toEqual(expect.arrayContaining(['ChunkQueuePolicy', 'AssembleQueuePolicy']));
    const configs = (r.Properties as Record<string, any>)['NotificationConfiguration'].QueueConfigurations as Array<Record<string, any>>;
    expect(configs).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Queue: { 'Fn::GetAtt': ['ChunkQueue', 'Arn'] },
        Filter: {
          S3Key: {
            Rules: [
              { Name: 'prefix', Value: 'chunks/' },
              { Name: 'suffix', Value: '.log.gz' },
            ],
          },
        },
      },
      {
        Event: 's3:ObjectCreated:*',
        Queue: { 'Fn::GetAtt': ['AssembleQueue', 'Arn'] },
        Filter: {
          S3Key: {
            Rules: [
              { Name: 'prefix', Value: 'jobs/' },
              { Name: 'suffix', Value: '.json' },
            ],
          },
        },
      },
    ]);
  });

  it('is versioned, so an overwrite or delete that slips through leaves the old version for noncurrentVersionDays', () => {
    const p = props('LogBucket', 'AWS::S3::Bucket');
    expect(p['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    const rule = (p['LifecycleConfiguration'].Rules as Array<Record<string, any>>).find((r) => r['NoncurrentVersionExpiration']);
    expect(rule).toMatchObject({
      Status: 'Enabled',
      Prefix: '',
      NoncurrentVersionExpiration: { NoncurrentDays: Number(stageParam(readServerlessYml(), STAGE, 'noncurrentVersionDays')) },
    });
  });

  it('refuses writes without If-None-Match to chunks/, jobs/ and registry/, registry writes by anyone but the launcher role, watch signals by anyone but the logs API and the signer', () => {
    const statements = props('LogBucketPolicy', 'AWS::S3::BucketPolicy')['PolicyDocument'].Statement as Array<Record<string, any>>;
    const writeOnce = statements.find((s) => s['Sid'] === 'DenyOverwritingWriteOnceKeys')!;
    expect(writeOnce).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Condition: { Null: { 's3:if-none-match': 'true' } } });
    expect(asArray(writeOnce['Resource']).map((r) => r['Fn::Sub'])).toEqual(
      ['chunks/*', 'jobs/*', 'registry/*'].map((p) => `arn:\${AWS::Partition}:s3:::${BUCKET}/${p}`),
    );
    const launcherOnly = statements.find((s) => s['Sid'] === 'OnlyTheLauncherRegistersJobs')!;
    expect(launcherOnly).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['LauncherRole', 'Arn'] } } },
    });
    const readerFunctionsOnly = statements.find((s) => s['Sid'] === 'OnlyReaderFunctionsSignalWatching')!;
    expect(readerFunctionsOnly).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: bucketArn('/watch/*'),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': ['LogsApiRole', 'Arn'] }, { 'Fn::GetAtt': ['SignerRole', 'Arn'] }] } },
    });
  });

  it('expires watch signals, and their overwritten versions, after a day', () => {
    const rules = props('LogBucket', 'AWS::S3::Bucket')['LifecycleConfiguration'].Rules as Array<Record<string, any>>;
    expect(rules.find((r) => r['Prefix'] === 'watch/')).toEqual({
      Id: 'ExpireWatchSignals',
      Status: 'Enabled',
      Prefix: 'watch/',
      ExpirationInDays: 1,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });

  it('expires download files after downloadRetentionDays', () => {
    const rules = props('LogBucket', 'AWS::S3::Bucket')['LifecycleConfiguration'].Rules as Array<Record<string, any>>;
    const downloads = rules.find((r) => r['Prefix'] === 'downloads/');
    expect(downloads).toMatchObject({ Status: 'Enabled', ExpirationInDays: Number(stageParam(readServerlessYml(), STAGE, 'downloadRetentionDays')) });
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
    const mappings = resourcesOf('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties as Record<string, any>);
    const byFunction = Object.fromEntries(mappings.map((m) => [m['FunctionName']['Fn::GetAtt'][0], m]));
    expect(Object.keys(byFunction).sort()).toEqual(['AssemblerLambdaFunction', 'IndexerLambdaFunction']);
    expect(byFunction['IndexerLambdaFunction']).toMatchObject({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': ['ChunkQueue', 'Arn'] },
      Enabled: true,
    });
    expect(byFunction['AssemblerLambdaFunction']).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': ['AssembleQueue', 'Arn'] },
    });
  });

  it('keeps assemble-queue messages invisible for at least 6x the assembler timeout, redriving to its DLQ', () => {
    const fn = props('AssemblerLambdaFunction', 'AWS::Lambda::Function');
    const q = props('AssembleQueue', 'AWS::SQS::Queue');
    expect(q['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * fn['Timeout']);
    expect(q['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['AssembleDLQ', 'Arn'] }, maxReceiveCount: 5 });
    expect(q['SqsManagedSseEnabled']).toBe(true);
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

/** The statements of one function's role (in `from`, default the stage as packaged). */
function roleStatements(roleId: string, from: CfnTemplate = template): Statement[] {
  const p = from.Resources[roleId]!.Properties as Record<string, any>;
  return (p['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) => policy.PolicyDocument.Statement);
}
const bucketArn = (suffix = '') => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}${suffix}` });
/** action → resources it is allowed on, for one role. */
function grants(roleId: string, from: CfnTemplate = template): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const st of roleStatements(roleId, from)) {
    expect(st.Effect).toBe('Allow');
    for (const action of asArray(st.Action)) (out[action] ??= []).push(...asArray(st.Resource));
  }
  return out;
}

describe('IAM', () => {
  it('gives every function its own role and grants no wildcard actions anywhere', () => {
    const fns = resourcesOf('AWS::Lambda::Function');
    expect(Object.fromEntries(fns.map(([id, r]) => [id, (r.Properties as Record<string, any>)['Role']]))).toEqual({
      IndexerLambdaFunction: { 'Fn::GetAtt': ['IndexerRole', 'Arn'] },
      AssemblerLambdaFunction: { 'Fn::GetAtt': ['AssemblerRole', 'Arn'] },
      SignerLambdaFunction: { 'Fn::GetAtt': ['SignerRole', 'Arn'] },
      LogsLambdaFunction: { 'Fn::GetAtt': ['LogsApiRole', 'Arn'] },
    });
    expect(template.Resources['IamRoleLambdaExecution']).toBeUndefined();
    const actions = identityStatements().flatMap((s) => asArray(s.Action));
    expect(actions.length).toBeGreaterThan(10);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('indexer: reads chunks/, writes only its dead letters and progress checkpoints, consumes only the chunk queue, reads only its credentials parameter', () => {
    const g = grants('IndexerRole');
    expect(Object.keys(g).sort()).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:PutObject',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'ssm:GetParameters',
    ]);
    expect(g['s3:GetObject']).toEqual([bucketArn('/chunks/*'), bucketArn('/checkpoints/indexer/*')]);
    expect(g['s3:PutObject']).toEqual([bucketArn('/dead-letter/indexer/*'), bucketArn('/checkpoints/indexer/*')]);
    expect(g['sqs:ReceiveMessage']).toEqual([{ 'Fn::GetAtt': ['ChunkQueue', 'Arn'] }]);
    expect(g['ssm:GetParameters']).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/joblogs/${STAGE}/es-credentials` },
    ]);
    const kms = roleStatements('IndexerRole').find((s) => asArray(s.Action).includes('kms:Decrypt'))!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
    expect(kms.Condition?.['StringEquals']?.['kms:ViaService']).toEqual({ 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' });
    expect(g['logs:PutLogEvents']).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/joblogs-${STAGE}-indexer:*` },
    ]);
  });

  it('assembler: reads chunks/, jobs/ and registry/, lists only those prefixes, writes only downloads/ and its dead letters, uses only the assemble queue', () => {
    const g = grants('AssemblerRole');
    expect(Object.keys(g).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    expect(g['s3:GetObject']).toEqual([bucketArn('/chunks/*'), bucketArn('/jobs/*'), bucketArn('/registry/*'), bucketArn('/downloads/*')]);
    expect(g['s3:PutObject']).toEqual([bucketArn('/downloads/*'), bucketArn('/dead-letter/assembler/*')]);
    expect(g['s3:ListBucket']).toEqual([bucketArn()]);
    const list = roleStatements('AssemblerRole').find((s) => asArray(s.Action).includes('s3:ListBucket'))!;
    expect(list.Condition?.['StringLike']?.['s3:prefix']).toEqual(['chunks/v1/*', 'jobs/v1/*', 'downloads/*', 'registry/v1/*']);
    for (const action of ['sqs:ReceiveMessage', 'sqs:SendMessage']) expect(g[action]).toEqual([{ 'Fn::GetAtt': ['AssembleQueue', 'Arn'] }]);
  });

  it('signer: reads only registrations, job markers and download files, may ask for an assembly, writes only watch signals, nothing else', () => {
    const g = grants('SignerRole');
    expect(Object.keys(g).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage']);
    expect(g['s3:GetObject']).toEqual([bucketArn('/jobs/*'), bucketArn('/registry/*'), bucketArn('/downloads/*')]);
    expect(g['s3:PutObject']).toEqual([bucketArn('/watch/v1/*')]);
    expect(props('SignerLambdaFunction', 'AWS::Lambda::Function')['Environment']['Variables']['WATCH_PREFIX']).toBe('watch/');
    const list = roleStatements('SignerRole').find((s) => asArray(s.Action).includes('s3:ListBucket'))!;
    expect(list.Condition?.['StringLike']?.['s3:prefix']).toEqual(['jobs/v1/*', 'downloads/*', 'registry/v1/*']);
    expect(g['sqs:SendMessage']).toEqual([{ 'Fn::GetAtt': ['AssembleQueue', 'Arn'] }]);
  });

  it("logs API: reads only registrations, job markers, chunks (a bar's states) and job archives, and its own read-only cluster identity — never the indexer's, never a list of chunks, never a download file; writes only watch signals; may ask for an archive", () => {
    const g = grants('LogsApiRole');
    expect(Object.keys(g).sort()).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
      'ssm:GetParameters',
    ]);
    expect(g['s3:GetObject']).toEqual([
      bucketArn('/jobs/*'),
      bucketArn('/registry/*'),
      bucketArn('/chunks/*'),
      bucketArn('/downloads/*.archive.json'),
      bucketArn('/downloads/*.archive.gz'),
    ]);
    expect(g['sqs:SendMessage']).toEqual([{ 'Fn::GetAtt': ['AssembleQueue', 'Arn'] }]);
    expect(g['s3:PutObject']).toEqual([bucketArn('/watch/v1/*')]);
    const list = roleStatements('LogsApiRole').find((s) => asArray(s.Action).includes('s3:ListBucket'))!;
    expect(list.Condition?.['StringLike']?.['s3:prefix']).toEqual(['jobs/v1/*', 'registry/v1/*']);
    expect(g['ssm:GetParameters']).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/joblogs/${STAGE}/es-reader-credentials` },
    ]);
    const env = (resource(template, 'LogsLambdaFunction').Properties as Record<string, any>)['Environment']['Variables'];
    expect(env['ES_READER_CREDENTIALS_PARAM']).toBe(`/joblogs/${STAGE}/es-reader-credentials`);
    expect(env['ES_CREDENTIALS_PARAM']).toBeUndefined();
    expect(env['CHUNK_PREFIX']).toBe('chunks/');
    expect(env['WATCH_PREFIX']).toBe('watch/');
    expect(env['DOWNLOAD_PREFIX']).toBe('downloads/');
    expect(env['ASSEMBLE_QUEUE_URL']).toEqual({ Ref: 'AssembleQueue' });
  });
});

describe('HTTP API routes', () => {
  it('routes GET only: the signer and the logs API, every route behind the JWT authorizer of the stage issuer and audience', () => {
    const routes = resourcesOf('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties as Record<string, any>);
    expect(routes.map((r) => r['RouteKey']).sort()).toEqual([
      'GET /jobs/{jobId}',
      'GET /jobs/{jobId}/lines',
      'GET /jobs/{jobId}/logs',
      'GET /jobs/{jobId}/redraws',
      'GET /jobs/{jobId}/search',
    ]);
    for (const route of routes) expect(route['AuthorizationType']).toBe('JWT');
    const [[, authorizer]] = resourcesOf('AWS::ApiGatewayV2::Authorizer') as [[string, CfnResource]];
    const a = authorizer.Properties as Record<string, any>;
    expect(a['AuthorizerType']).toBe('JWT');
    expect(a['IdentitySource']).toEqual(['$request.header.Authorization']);
    expect(a['JwtConfiguration']).toEqual({ Issuer: stageParam(readServerlessYml(), STAGE, 'jwtIssuer'), Audience: [`joblogs-${STAGE}`] });
  });

  it('allows CORS only from the stage UI origin, GET only', () => {
    const [[, api]] = resourcesOf('AWS::ApiGatewayV2::Api') as [[string, CfnResource]];
    const cors = (api.Properties as Record<string, any>)['CorsConfiguration'];
    expect(cors.AllowOrigins).toEqual([stageParam(readServerlessYml(), STAGE, 'uiOrigin')]);
    expect(cors.AllowMethods).toEqual(['GET']);
    expect(cors.AllowCredentials ?? false).toBe(false);
  });
});

describe('HTTP API limits', () => {
  it("throttles every route and caps the signer's concurrency, both from stage parameters", () => {
    const yml = readServerlessYml();
    expect(props('HttpApiStage', 'AWS::ApiGatewayV2::Stage')['DefaultRouteSettings']).toEqual({
      ThrottlingRateLimit: Number(stageParam(yml, STAGE, 'apiRateLimit')),
      ThrottlingBurstLimit: Number(stageParam(yml, STAGE, 'apiBurstLimit')),
    });
    expect(props('SignerLambdaFunction', 'AWS::Lambda::Function')['ReservedConcurrentExecutions']).toBe(
      Number(stageParam(yml, STAGE, 'signerReservedConcurrency')),
    );
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

  it('outputs the stage’s idle flush interval for the launcher to hand to every job, and refuses to package one the launcher would refuse', () => {
    const expected = stageParam(readServerlessYml(), STAGE, 'idleFlushIntervalMs');
    expect(Number.isInteger(expected) && (expected as number) >= 0).toBe(true);
    expect(String(template.Outputs!['ShipperIdleFlushIntervalMs']!.Value)).toBe(String(expected));
    expect(refusals['idle-flush']).toContain('Stage ci: idleFlushIntervalMs: Invalid idle flush interval "30s"');
  });
});

describe('the search cluster: kind and authentication per stage', () => {
  const domainArn = (path: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:es:\${AWS::Region}:\${AWS::AccountId}:domain/${DOMAIN}/${path}` });

  it('gives the functions the stage’s cluster kind and authentication (es-9 with SSM secrets by default)', () => {
    for (const fn of ['IndexerLambdaFunction', 'LogsLambdaFunction']) {
      expect((resource(template, fn).Properties as Record<string, any>)['Environment']['Variables']).toMatchObject({
        CLUSTER_KIND: 'es-9',
        CLUSTER_AUTH: 'secret',
      });
      expect((resource(iamTemplate, fn).Properties as Record<string, any>)['Environment']['Variables']).toMatchObject({
        CLUSTER_KIND: 'opensearch-2',
        CLUSTER_AUTH: 'iam',
      });
    }
    // The signer only needs the kind: which UI its Discover links open.
    expect((resource(iamTemplate, 'SignerLambdaFunction').Properties as Record<string, any>)['Environment']['Variables']['CLUSTER_KIND']).toBe('opensearch-2');
    expect(JSON.stringify(template)).not.toContain('es:ESHttp');
  });

  it('with clusterAuth iam: grants es:ESHttp* on that domain only — the indexer _bulk, the logs API the stage’s searches — and no SSM secret', () => {
    const indexer = grants('IndexerRole', iamTemplate);
    expect(
      Object.keys(indexer)
        .filter((a) => /^(es|ssm|kms):/.test(a))
        .sort(),
    ).toEqual(['es:ESHttpPost']);
    expect(indexer['es:ESHttpPost']).toEqual([domainArn('_bulk')]);
    const logs = grants('LogsApiRole', iamTemplate);
    expect(
      Object.keys(logs)
        .filter((a) => /^(es|ssm|kms):/.test(a))
        .sort(),
    ).toEqual(['es:ESHttpGet', 'es:ESHttpPost']);
    expect(logs['es:ESHttpPost']).toEqual([
      domainArn(`logs-mlplatform.*-${STAGE}/_search`),
      domainArn(`logs-mlplatform.*-${STAGE}/_count`),
      domainArn(`joblogs-chunks-${STAGE}/_search`),
      domainArn(`joblogs-chunks-${STAGE}/_count`),
    ]);
    for (const role of ['AssemblerRole', 'SignerRole']) expect(Object.keys(grants(role, iamTemplate)).filter((a) => a.startsWith('es:'))).toEqual([]);
  });

  it('refuses at package time what joblogs cannot run with, saying what to change', () => {
    expect(refusals['es-7']).toContain(
      'Unknown cluster kind "es-7": use one of es-8 (Elasticsearch 8.19+), es-9 (Elasticsearch 9.x), opensearch-2 (OpenSearch 2.7+)',
    );
    expect(refusals['iam-es']).toContain('clusterAuth iam (SigV4) is for Amazon OpenSearch Service (opensearch-2)');
    expect(refusals['iam-no-domain']).toContain('set the clusterDomain parameter');
  });
});
