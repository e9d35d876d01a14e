import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSignerHandler } from '../../../../functions/signer/create-handler.js';
import { TokenKeysUnavailableError, TokenRejectedError, type VerifyToken } from '../../../../shared/adapters/auth/jwt-verifier.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import type { DownloadUrlSigner } from '../../../../shared/adapters/s3/download-url.js';
import { loadSignerConfig } from '../../../../shared/config/signer-config.js';
import { lambdaContext } from '../../../../testkit/index.js';

const BUCKET = 'joblogs-test-logs';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-test-assemble';
const config = loadSignerConfig({
  STAGE: 'test',
  LOG_BUCKET: BUCKET,
  ASSEMBLE_QUEUE_URL: QUEUE,
  JWT_ISSUER: 'https://idp.example.test',
  JWT_AUDIENCE: 'joblogs-ui',
  UI_ORIGIN: 'https://ml.example.test',
  KIBANA_URL: 'https://kibana.example.test',
});

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

function marker(jobId: string, status: 'running' | 'final') {
  const final = status === 'final' ? { endedAt: '2026-11-25T11:00:00.000Z', lastSeq: 0, lineCount: 1 } : {};
  return JSON.stringify({ version: 1, jobId, source: 'main', status, startedAt: '2026-11-25T10:00:00.000Z', ...final });
}

function givenJob(jobId: string, status: 'running' | 'final', download?: { status: 'complete' | 'partial' }) {
  const key = `jobs/v1/${jobId}/main/${status}.json`;
  s3.on(ListObjectsV2Command, { Prefix: `jobs/v1/${jobId}/` }).resolves({ Contents: [{ Key: key }] });
  s3.on(GetObjectCommand, { Key: key }).resolves({ Body: { transformToString: async () => marker(jobId, status) } as never });
  // Who owns the job: the launcher's registration, not the markers.
  const registration = JSON.stringify({ version: 1, jobId, owner: 'alice', team: 'vision', createdAt: '2026-11-25T09:59:00.000Z' });
  s3.on(GetObjectCommand, { Key: `registry/v1/${jobId}.json` }).resolves({ Body: { transformToString: async () => registration } as never });
  const downloadKey = `downloads/${jobId}.log.gz`;
  // The store lists before it HEADs (a HEAD of a missing key is a 403 without s3:ListBucket on the whole bucket).
  s3.on(ListObjectsV2Command, { Prefix: downloadKey }).resolves({ Contents: download ? [{ Key: downloadKey }] : [] });
  const head = s3.on(HeadObjectCommand, { Key: downloadKey });
  if (download) head.resolves({ Metadata: { owner: 'alice', team: 'vision', status: download.status }, LastModified: new Date(Date.now() - 60_000) });
  else head.rejects(new NotFound({ message: 'Not Found', $metadata: {} }));
}

const fakeUrls: DownloadUrlSigner = {
  sign: async (key, { expiresInS, now }) => ({
    url: `https://s3.example.test/${key}?X-Amz-Signature=secret`,
    expiresAt: new Date(now.getTime() + expiresInS * 1000),
  }),
};

function setup(verifyToken: VerifyToken = async () => ({ sub: 'alice', teams: [] })) {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const handler = createSignerHandler(config, { verifyToken, urls: fakeUrls, logger: createLogger('signer-test', sink) });
  const call = async (jobId: string, method = 'GET') =>
    (await handler(
      {
        version: '2.0',
        routeKey: 'GET /jobs/{jobId}/logs',
        rawPath: `/jobs/${jobId}/logs`,
        rawQueryString: '',
        headers: { Authorization: 'Bearer aaa.bbb.ccc', Origin: 'https://ml.example.test' },
        pathParameters: { jobId },
        requestContext: { http: { method } } as APIGatewayProxyEventV2['requestContext'],
        isBase64Encoded: false,
      },
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
  return { call, lines };
}

beforeEach(() => {
  s3.reset();
  sqs.reset();
});
afterEach(() => {
  s3.reset();
  sqs.reset();
});

describe('signer handler (middy chain, mocked AWS)', () => {
  it('answers a complete job with JSON, no-store, CORS for the UI, and logs ids but not the URL', async () => {
    givenJob('job-1', 'final', { status: 'complete' });
    const { call, lines } = setup();
    const response = await call('job-1');
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': 'https://ml.example.test',
    });
    expect(JSON.parse(response.body!)).toMatchObject({ status: 'complete', downloadUrl: expect.stringContaining('downloads/job-1.log.gz') });
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'signer request done',
        jobId: 'job-1',
        subject: 'alice',
        status: 'complete',
        signed: true,
        statusCode: 200,
        Answers: 1,
        StatusClass: '2xx',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('X-Amz-Signature');
  });

  it('queues {"jobId","partial":true} for a running job without a file', async () => {
    givenJob('job-2', 'running');
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const response = await setup().call('job-2');
    expect(JSON.parse(response.body!)).toMatchObject({ status: 'running', downloadUrl: null });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, MessageBody: '{"jobId":"job-2","partial":true}', DelaySeconds: 0 },
    ]);
  });

  it("records that a running job is watched (its signal, once per 20 s per container), and not a finished one's or a stranger's", async () => {
    givenJob('job-8', 'running', { status: 'partial' });
    givenJob('job-9', 'final', { status: 'complete' });
    const watchPuts = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const { call } = setup();
    expect((await call('job-8')).statusCode).toBe(200);
    await call('job-8');
    expect(watchPuts()).toEqual([
      expect.objectContaining({ Bucket: BUCKET, Key: 'watch/v1/job-8.json', ContentType: 'application/json', CacheControl: 'no-store' }),
    ]);
    const until = Date.parse(JSON.parse(String(watchPuts()[0]!.Body)).until);
    expect(until - Date.now()).toBeGreaterThan(60_000);
    expect((await call('job-9')).statusCode).toBe(200);
    expect((await setup(async () => ({ sub: 'mallory', teams: [] })).call('job-8')).statusCode).toBe(403);
    expect(watchPuts()).toHaveLength(1);
  });

  it('answers a running job the same when its watch signal cannot be written, and says why in its log', async () => {
    givenJob('job-10', 'running', { status: 'partial' });
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('AccessDenied'), { name: 'AccessDenied' }));
    const { call, lines } = setup();
    const response = await call('job-10');
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toMatchObject({ status: 'running', downloadUrl: expect.any(String) });
    expect(lines).toContainEqual(expect.objectContaining({ message: expect.stringContaining('watch signal not written'), jobId: 'job-10' }));
  });

  it('still answers a running job when the assembly request cannot be queued, and says so', async () => {
    givenJob('job-3', 'running', { status: 'partial' });
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    const { call, lines } = setup();
    const response = await call('job-3');
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toMatchObject({
      status: 'running',
      downloadUrl: expect.any(String),
      detail: expect.stringMatching(/could not be requested/),
    });
    expect(lines[0]).toMatchObject({ assemblyRequested: false, assemblyRequestFailed: expect.stringContaining('throttled') });
  });

  it('answers 503 with Retry-After when S3 fails', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
    const response = await setup().call('job-4');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '5', 'Cache-Control': 'no-store' });
    expect(JSON.parse(response.body!)).toEqual({ error: { code: 'UNAVAILABLE', message: expect.any(String) } });
  });

  it('counts every answer by status class in its one log line (EMF), refusals and unavailability included', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
    const unavailable = setup();
    expect((await unavailable.call('job-7')).statusCode).toBe(503);
    const refused = setup();
    expect((await refused.call('..')).statusCode).toBe(400);
    for (const [lines, status] of [
      [unavailable.lines, '5xx'],
      [refused.lines, '4xx'],
    ] as const) {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        Stage: expect.any(String),
        Function: 'signer',
        StatusClass: status,
        Answers: 1,
        _aws: { CloudWatchMetrics: [{ Namespace: 'joblogs', Dimensions: [['Stage', 'Function', 'StatusClass']] }] },
      });
    }
  });

  it('answers 503 when the identity provider’s keys cannot be fetched, 401 when the token is rejected', async () => {
    const down = await setup(async () => {
      throw new TokenKeysUnavailableError('connect ECONNREFUSED');
    }).call('job-5');
    expect(down.statusCode).toBe(503);
    const rejected = await setup(async () => {
      throw new TokenRejectedError('The access token has expired');
    }).call('job-5');
    expect(rejected.statusCode).toBe(401);
    expect(rejected.headers!['WWW-Authenticate']).toContain('error="invalid_token"');
    expect(JSON.parse(rejected.body!)).toEqual({ error: { code: 'UNAUTHORIZED', message: 'The access token has expired' } });
  });

  it('turns an unexpected failure into a generic 500 that leaks nothing', async () => {
    const { call, lines } = setup(async () => {
      throw new TypeError('secret internal detail');
    });
    const response = await call('job-6');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(JSON.parse(response.body!)).toEqual({ error: { code: 'INTERNAL', message: expect.any(String) } });
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': 'https://ml.example.test',
    });
    expect(lines).toEqual([
      expect.objectContaining({ message: 'signer failed', error: { code: 'UNEXPECTED', message: 'secret internal detail' }, Answers: 1, StatusClass: '5xx' }),
    ]);
  });
});
