/**
 * The signer on real services: job markers and download files put into S3 (moto) as fixtures, the
 * real middy handler behind a local HTTP API (testkit/http/http-api.ts), a local identity
 * provider serving real keys (testkit/http/jwt-issuer.ts), on-demand assembly requests landing in a
 * real (moto) SQS queue. Every call is a real HTTP request made with `fetch`.
 */
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decode as risonDecode } from 'rison-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PATH_BYTES } from '../../functions/http/request.js';
import { createSignerHandler } from '../../functions/signer/create-handler.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadSignerConfig, type SignerConfig } from '../../shared/config/signer-config.js';
import { downloadKey, toS3Metadata, type DownloadMetadata } from '../../shared/core/download/index.js';
import { jobMarkerKey, type JobMarker } from '../../shared/core/contract/index.js';
import { registerTestJob } from '../../testkit/jobs.js';
import { esSetup } from '../../deploy/es-setup.js';
import { esRequest, jsonLogSink, readObject } from '../../testkit/index.js';
import { parseWatchSignal, watchKey } from '../../shared/core/watch/index.js';
import { secretSigner } from '../../shared/adapters/search/signers.js';
import { startHttpApi, startIssuer, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// serverless.yml's `local` stage values (params uiOrigin, jwtAudience).
const UI_ORIGIN = 'http://127.0.0.1:3000';
const AUDIENCE = 'joblogs-local';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const RUN = randomUUID().slice(0, 8);

let stack: LocalStack;
let idp: LocalIssuer;
let api: HttpApi;
let config: SignerConfig;
let queueUrl: string;
const signerLogs = jsonLogSink();
const issuedTokens: string[] = [];
const putKeys: string[] = [];
const savedEnv = { ...process.env };

function jobId(name: string): string {
  return `sig-${RUN}-${name}`;
}

/** A job registered as alice's (team vision) by the launcher, with one marker of its source. */
async function putMarker(id: string, marker: Partial<JobMarker> & { source?: string; owner?: string; team?: string }, o: { registered?: boolean } = {}) {
  if (o.registered !== false) await registerTestJob(stack.s3, stack.bucket, id);
  const source = marker.source ?? 'main';
  const body: JobMarker = {
    version: 1,
    jobId: id,
    source,
    status: 'running',
    traceparent: TRACEPARENT,
    startedAt: '2026-11-25T10:00:00.000Z',
    ...marker,
  } as JobMarker;
  if (body.status === 'final') Object.assign(body, { endedAt: '2026-11-25T11:00:00.000Z', lastSeq: 3, lineCount: 40, ...marker });
  const key = jobMarkerKey(id, source, body.status);
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json' }));
  putKeys.push(key);
}

async function putDownload(id: string, lines: string[], metadata: Partial<DownloadMetadata> = {}) {
  const key = downloadKey(id);
  const m: DownloadMetadata = {
    owner: 'alice',
    team: 'vision',
    lineCount: lines.length,
    gaps: 0,
    missingChunks: 0,
    status: 'complete',
    sources: 1,
    chunks: 4,
    ...metadata,
  };
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.bucket,
      Key: key,
      Body: gzipSync(`${lines.join('\n')}\n`),
      ContentType: 'application/gzip',
      Metadata: toS3Metadata(m),
    }),
  );
  putKeys.push(key);
}

async function token(claims: Record<string, unknown>, options: Parameters<LocalIssuer['token']>[1] = {}): Promise<string> {
  const t = await idp.token(claims, options);
  issuedTokens.push(t);
  return t;
}

async function getLogs(id: string, bearer: string | undefined, init: RequestInit = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (bearer !== undefined) headers['authorization'] = `Bearer ${bearer}`;
  const response = await fetch(`${api.url}/jobs/${id}/logs`, { ...init, headers });
  const text = await response.text();
  return { response, text, body: text ? JSON.parse(text) : undefined };
}

/** A raw request line, untouched by URL normalisation (fetch resolves `..` before sending). */
function rawGet(path: string, bearer: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(api.url);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers: { authorization: `Bearer ${bearer}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function assemblyMessages(waitS = 1): Promise<unknown[]> {
  const { Messages = [] } = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitS }));
  return Messages.map((m) => JSON.parse(m.Body!));
}

function startSigner(now: () => number = Date.now) {
  return createSignerHandler(config, { logger: createLogger('joblogs-signer-test', signerLogs.sink), now });
}

beforeAll(async () => {
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  queueUrl = (await stack.sqs.send(new CreateQueueCommand({ QueueName: `joblogs-signer-test-${RUN}` }))).QueueUrl!;
  idp = await startIssuer({ audience: AUDIENCE });
  // The environment the packaged template gives the signer, with what this test must own: its
  // identity provider (a random port), its queue, and path-style S3 for moto.
  config = loadSignerConfig({
    ...stack.info.resources.signer.environment,
    ASSEMBLE_QUEUE_URL: queueUrl,
    JWT_ISSUER: idp.issuer,
    S3_FORCE_PATH_STYLE: 'true',
  });
  api = await startHttpApi(startSigner(), ['ANY /jobs/{jobId}/logs']);
});

afterAll(async () => {
  await api?.close();
  await idp?.close();
  if (stack) {
    if (putKeys.length > 0) {
      await stack.s3.send(new DeleteObjectsCommand({ Bucket: stack.bucket, Delete: { Objects: putKeys.map((Key) => ({ Key })) } }));
    }
    if (queueUrl) await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await stack.close();
  }
  process.env = savedEnv;
});

describe('signer: configuration', () => {
  it('accepts the environment the packaged template declares for the signer', () => {
    const env = stack.info.resources.signer.environment;
    const declared = loadSignerConfig(env);
    expect(declared).toMatchObject({
      stage: 'local',
      logBucket: stack.bucket,
      assembleQueueUrl: env['ASSEMBLE_QUEUE_URL'],
      jwt: { audience: [AUDIENCE] },
      uiOrigin: UI_ORIGIN,
      kibana: { dataViewId: 'joblogs-local' },
      urlExpirySeconds: 900,
    });
  });
});

describe('signer: authentication', () => {
  const id = jobId('auth');
  beforeAll(async () => {
    await putMarker(id, { status: 'final' });
    await putDownload(id, ['line']);
  });

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const { response, body } = await getLogs(id, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="joblogs"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('Bearer') } });
  });

  it('answers 401 for a non-Bearer scheme and for a token that is not a JWS', async () => {
    const basic = await fetch(`${api.url}/jobs/${id}/logs`, { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
    expect(basic.status).toBe(401);
    const { response, body } = await getLogs(id, 'not-a-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(body.error.message).toMatch(/malformed/);
  });

  const rejected: Array<[string, () => Promise<string>, RegExp]> = [
    ['signed with a key the issuer does not publish', () => token({ sub: 'alice' }, { forged: true }), /signature/],
    ['expired', () => token({ sub: 'alice' }, { expiresInS: -120 }), /expired/],
    ['issued for another audience', () => token({ sub: 'alice' }, { audience: 'another-api' }), /audience/],
    ['issued by another issuer', () => token({ sub: 'alice' }, { issuer: 'https://idp.example.test' }), /issuer/],
    ['unsigned (alg none)', async () => idp.unsecuredToken({ sub: 'alice' }), /algorithm/],
    ['without a subject', () => token({}), /sub/],
  ];
  it.each(rejected)('answers 401 invalid_token for a token %s, without echoing it', async (_what, make, reason) => {
    const t = await make();
    issuedTokens.push(t);
    const { response, text, body } = await getLogs(id, t);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="joblogs", error="invalid_token", error_description="/);
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(body.error.message).toMatch(reason);
    expect(text).not.toContain(t);
    expect(text).not.toContain(t.split('.')[1]);
  });

  it('accepts ES256 as well as RS256 tokens, with keys found through OpenID discovery', async () => {
    const { response } = await getLogs(id, await token({ sub: 'alice' }, { alg: 'ES256' }));
    expect(response.status).toBe(200);
    expect(idp.requests).toContain('/.well-known/openid-configuration');
    expect(idp.requests).toContain('/.well-known/jwks.json');
  });
});

describe('signer: authorisation', () => {
  const mine = jobId('alice-job');
  const claimed = jobId('claimed');
  const mislabelled = jobId('mislabelled');
  const unregistered = jobId('unregistered');
  beforeAll(async () => {
    await putMarker(mine, { status: 'final' });
    await putDownload(mine, ['a', 'b']);
    // A producer of alice's job claims it for mallory in its own marker: claims carry no authority.
    await putMarker(claimed, { status: 'final', source: 'rank-0' });
    await putMarker(claimed, { status: 'final', source: 'rank-1', owner: 'mallory', team: 'evil' });
    await putMarker(mislabelled, { status: 'final' });
    await putDownload(mislabelled, ['x'], { owner: 'bob', team: 'nlp' });
    await putMarker(unregistered, { status: 'final', owner: 'mallory' }, { registered: false });
  });

  it("answers 403 for another user's job, saying nothing about its owner", async () => {
    const { response, text, body } = await getLogs(mine, await token({ sub: 'bob', teams: ['nlp'] }));
    expect(response.status).toBe(403);
    expect(body).toEqual({ error: { code: 'FORBIDDEN', message: 'You may not read the logs of this job' } });
    expect(text).not.toMatch(/alice|vision|X-Amz/);
  });

  it("answers 403 for another team's job", async () => {
    const { response } = await getLogs(mine, await token({ sub: 'carol', teams: 'nlp speech' }));
    expect(response.status).toBe(403);
  });

  it('allows a member of the job’s team (teams claim as an array or a space-separated string)', async () => {
    for (const teams of [['nlp', 'vision'], 'nlp vision']) {
      const { response, body } = await getLogs(mine, await token({ sub: 'carol', teams }));
      expect(response.status).toBe(200);
      expect(body.status).toBe('complete');
    }
  });

  it('decides from the registration alone: a marker claiming the job for mallory gives her nothing and takes nothing from alice', async () => {
    expect((await getLogs(claimed, await token({ sub: 'mallory', teams: ['evil'] }))).response.status).toBe(403);
    expect((await getLogs(claimed, await token({ sub: 'alice', teams: ['vision'] }))).response.status).toBe(200);
  });

  it('never signs a download file recorded for another owner: it is as if there were none yet', async () => {
    const { response, body } = await getLogs(mislabelled, await token({ sub: 'alice', teams: ['vision'] }));
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ downloadUrl: null, expiresAt: null });
  });

  it('knows no job that no launcher registered, whatever its producers wrote', async () => {
    const { response, body } = await getLogs(unregistered, await token({ sub: 'mallory' }));
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ status: 'not-found', downloadUrl: null });
  });
});

describe('signer: job ids and routes', () => {
  let t: string;
  beforeAll(async () => {
    t = await token({ sub: 'alice', teams: ['vision'] });
  });

  const malformed = [
    ['an encoded traversal', '..%2F..%2Fdownloads%2Fother'],
    ['an encoded slash', 'job%2Fother'],
    ['a double-encoded dot-dot', '%252e%252e'],
    ['a leading dot', '.hidden'],
    ['a NUL byte', 'job%00'],
    ['non-ASCII letters', 'j%C3%B6b'],
    ['129 characters', 'j'.repeat(129)],
  ];
  it.each(malformed)('answers 400 for a job id with %s', async (_what, id) => {
    const { response, body } = await getLogs(id, t);
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('INVALID_JOB_ID');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 400 for a literal `..` or `%2e%2e` segment sent as is', async () => {
    for (const segment of ['..', '%2e%2e', '%2E%2E']) {
      const { status, body } = await rawGet(`/jobs/${segment}/logs`, t);
      expect(status).toBe(400);
      expect(body.error.code).toBe('INVALID_JOB_ID');
    }
  });

  it('answers 404 not-found for a job nobody recorded', async () => {
    const { response, body } = await getLogs(jobId('never-ran'), t);
    expect(response.status).toBe(404);
    expect(body).toEqual({ status: 'not-found', downloadUrl: null, expiresAt: null, kibanaUrl: null, kibanaTraceUrl: null, detail: expect.any(String) });
  });

  it('answers 405 with Allow for anything but GET', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const { response, body } = await getLogs(jobId('x'), t, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, OPTIONS');
      expect(body.error.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('refuses oversized paths (414) and headers (431) before looking at the token', async () => {
    expect((await getLogs('j'.repeat(MAX_PATH_BYTES + 100), undefined)).response.status).toBe(414);
    const { response } = await getLogs(jobId('x'), t, { headers: { 'x-padding': 'p'.repeat(11_000) } });
    expect(response.status).toBe(431);
  });
});

describe('signer: CORS', () => {
  it('answers a preflight from the UI origin, and not for another origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/jobs/${jobId('x')}/logs`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET');
    expect(ok.headers.get('access-control-allow-headers')).toBe('Authorization');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    const other = await preflight('https://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a preflight for another method or header', async () => {
    const put = await fetch(`${api.url}/jobs/${jobId('x')}/logs`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'PUT' },
    });
    expect(put.headers.get('access-control-allow-origin')).toBeNull();
    const header = await fetch(`${api.url}/jobs/${jobId('x')}/logs`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, x-secret' },
    });
    expect(header.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks answers (errors included) readable by the UI origin only', async () => {
    const mine = await getLogs(jobId('x'), undefined, { headers: { origin: UI_ORIGIN } });
    expect(mine.response.status).toBe(401);
    expect(mine.response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    // The UI may read the trace of its request (docs/tracing.md).
    expect(mine.response.headers.get('access-control-expose-headers')).toBe('traceresponse, x-request-id');
    expect(mine.response.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const other = await getLogs(jobId('x'), undefined, { headers: { origin: 'https://evil.example.test' } });
    expect(other.response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('signer: complete and running jobs', () => {
  it('hands the owner of a complete job a presigned link to the file, as an attachment, and Kibana links', async () => {
    const id = jobId('done');
    const lines = ['2026-11-25T10:00:00.000Z stdout hello', '2026-11-25T10:00:01.000Z stderr world'];
    await putMarker(id, { status: 'final', endedAt: '2026-11-25T11:00:00.000Z' });
    await putDownload(id, lines);
    const before = Date.now();
    const { response, body } = await getLogs(id, await token({ sub: 'alice' }), { headers: { origin: UI_ORIGIN } });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({ status: 'complete', downloadUrl: expect.stringContaining('X-Amz-Signature=') });
    expect(body.detail).toBeUndefined();
    const expiresAt = Date.parse(body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(new URL(body.downloadUrl).searchParams.get('X-Amz-Expires')).toBe('900');

    const file = await fetch(body.downloadUrl);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${id}.log.gz"`);
    expect(gunzipSync(Buffer.from(await file.arrayBuffer())).toString('utf8')).toBe(`${lines.join('\n')}\n`);

    const a = risonDecode(decodeURIComponent(new URL(body.kibanaUrl).hash.split('_a=')[1]!)) as any;
    expect(a.query).toEqual({ language: 'kuery', query: `labels.job_id:"${id}"` });
    // Kibana names the data view in `dataSource`; OpenSearch Dashboards the index pattern in `index`.
    if (config.kibana.dashboards === 'kibana') expect(a.dataSource).toEqual({ dataViewId: 'joblogs-local', type: 'dataView' });
    else expect(a.index).toBe('joblogs-local');
    expect(body.kibanaTraceUrl).toContain(encodeURIComponent('trace.id:"4bf92f3577b34da6a3ce929d0e0e4736"').replace(/%3A/g, ':'));
  });

  it('never logs the presigned URL or a token', async () => {
    const log = signerLogs.logs.map((line) => JSON.stringify(line)).join('\n');
    expect(log).toContain('signer request done');
    expect(log).not.toMatch(/X-Amz-Signature|X-Amz-Credential|https?:\/\/127\.0\.0\.1:\d+\/[^"]*downloads\//);
    for (const t of issuedTokens) {
      expect(log).not.toContain(t);
      const signature = t.split('.')[2]!;
      if (signature) expect(log).not.toContain(signature);
    }
  });

  it('for a running job without a file yet: requests a partial assembly once, and says so', async () => {
    const id = jobId('live-empty');
    await putMarker(id, { status: 'running', source: 'rank-0' });
    await putMarker(id, { status: 'final', source: 'rank-1' });
    const t = await token({ sub: 'alice' });
    const first = await getLogs(id, t);
    expect(first.response.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'running', downloadUrl: null, expiresAt: null, detail: expect.stringMatching(/requested/) });
    expect(new URL(first.body.kibanaUrl).hash).toContain('to:now');
    expect(await assemblyMessages()).toEqual([{ jobId: id, partial: true }]);

    const again = await getLogs(id, t);
    expect(again.body.status).toBe('running');
    expect(await assemblyMessages()).toEqual([]);
  });

  it("records that a running job is watched — the signal its shippers read says so for the next ~90 s — and leaves a finished job's alone", async () => {
    const running = jobId('watched');
    const finished = jobId('finished');
    // Both with a file fresh enough that no assembly is asked for: this test leaves the queue as it was.
    await putMarker(running, { status: 'running' });
    await putDownload(running, ['so far'], { status: 'partial' });
    await putMarker(finished, { status: 'final' });
    await putDownload(finished, ['done'], { status: 'complete' });
    const t = await token({ sub: 'alice' });
    for (const id of [running, finished]) putKeys.push(watchKey(id));
    expect((await getLogs(running, t)).body.status).toBe('running');
    expect((await getLogs(finished, t)).body.status).toBe('complete');
    expect(await assemblyMessages(0)).toEqual([]);

    const signal = (await readObject(stack.s3, stack.bucket, watchKey(running))).toString('utf8');
    // Read as the shippers read it: watched until a time ~90 s ahead.
    expect(parseWatchSignal(signal, Date.now()) - Date.now()).toBeGreaterThan(60_000);
    await expect(readObject(stack.s3, stack.bucket, watchKey(finished))).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('for a running job with a fresh partial file: links it without asking for another; a stale one is rebuilt', async () => {
    const id = jobId('live-partial');
    await putMarker(id, { status: 'running' });
    await putDownload(id, ['first line'], { status: 'partial' });
    const t = await token({ sub: 'alice' });

    const fresh = await getLogs(id, t);
    expect(fresh.body).toMatchObject({
      status: 'running',
      downloadUrl: expect.stringContaining('X-Amz-Signature='),
      detail: expect.stringMatching(/assembled up to/),
    });
    const file = await fetch(fresh.body.downloadUrl);
    expect(gunzipSync(Buffer.from(await file.arrayBuffer())).toString('utf8')).toBe('first line\n');
    expect(await assemblyMessages()).toEqual([]);

    // The same file seen by a container whose clock is a minute later: older than 30 s.
    const later = await startHttpApi(
      startSigner(() => Date.now() + 60_000),
      ['ANY /jobs/{jobId}/logs'],
    );
    try {
      const stale = await fetch(`${later.url}/jobs/${id}/logs`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.json());
      expect(stale).toMatchObject({ status: 'running', downloadUrl: expect.any(String), detail: expect.stringMatching(/requested/) });
      expect(await assemblyMessages()).toEqual([{ jobId: id, partial: true }]);
    } finally {
      await later.close();
    }
  });

  it('for a finished job whose file is not built yet: running, no link, being assembled', async () => {
    const id = jobId('finished-unbuilt');
    await putMarker(id, { status: 'final' });
    const { response, body } = await getLogs(id, await token({ sub: 'alice' }));
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ status: 'running', downloadUrl: null, expiresAt: null, detail: expect.stringMatching(/being assembled/) });
    expect(await assemblyMessages()).toEqual([]);
  });
});

describe('setup step: the data view (Kibana) or index pattern (OpenSearch Dashboards) the links open', () => {
  it('installs the index templates and POSTs the data view when a dashboards URL is configured, not otherwise', async () => {
    const requests: Array<{ url: string; headers: Record<string, unknown>; body: any }> = [];
    const recorder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data_view":{"id":"joblogs-local"},"id":"joblogs-local"}');
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const { url: node, username, password, kind } = stack.info.elasticsearch;
    const common = { stage: 'local', node, retentionDays: 3, kind, sign: secretSigner({ username, password }), lifecycle: 'optional' as const };
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    try {
      const kibanaUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
      await esSetup(common);
      expect(requests).toHaveLength(0);
      await esSetup({ ...common, dashboards: { url: kibanaUrl } });
      const title = 'logs-mlplatform.*-local';
      expect(requests).toEqual([
        config.kibana.dashboards === 'kibana'
          ? {
              url: '/api/data_views/data_view',
              headers: expect.objectContaining({ 'kbn-xsrf': expect.any(String), authorization }),
              body: {
                data_view: { id: config.kibana.dataViewId, name: 'joblogs (local)', title, timeFieldName: '@timestamp', allowNoIndex: true },
                override: true,
              },
            }
          : {
              url: `/api/saved_objects/index-pattern/${config.kibana.dataViewId}?overwrite=true`,
              headers: expect.objectContaining({ 'osd-xsrf': expect.any(String), authorization }),
              body: { attributes: { title, timeFieldName: '@timestamp' } },
            },
      ]);
      // The data view covers exactly the streams the stage's index template makes.
      const templates = await esRequest(stack, 'GET', '/_index_template/joblogs-local-logs');
      expect(templates.index_templates[0]!.index_template.index_patterns).toEqual([title]);
    } finally {
      await new Promise((resolve) => recorder.close(resolve));
    }
  });
});
