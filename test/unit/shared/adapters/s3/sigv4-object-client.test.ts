import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectUrl, SigV4ObjectClient } from '../../../../../shared/adapters/s3/sigv4-object-client.js';
import { startStubServer, type StubRequest, type StubResponse } from '../../../../../testkit/fakes/stub-server.js';

/**
 * The CLI's S3 client against a loopback server standing in for S3 (and for STS and the container
 * credentials endpoint): the credentials come from the AWS SDK's own provider chain, the region
 * and endpoint from the SDK's settings, and S3's answers become the SDK's error shape.
 */

const AWS_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_STS',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
];

let saved: Record<string, string | undefined>;
let dir: string;
let stub: Awaited<ReturnType<typeof startStubServer>> | undefined;

beforeEach(() => {
  saved = Object.fromEntries(AWS_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of AWS_VARIABLES) delete process.env[name];
  dir = mkdtempSync(path.join(tmpdir(), 'sigv4-client-'));
  // No shared config or credentials files of the machine, no instance metadata: only what a test sets.
  process.env['AWS_CONFIG_FILE'] = path.join(dir, 'config');
  process.env['AWS_SHARED_CREDENTIALS_FILE'] = path.join(dir, 'credentials');
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  process.env['AWS_REGION'] = 'eu-west-1';
});
afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
  await stub?.close();
  stub = undefined;
});

/** A loopback server: S3 answers 200 (or what `s3` says), `/creds` the container credentials, `POST /` STS. */
async function fakeAws(s3: (request: StubRequest) => StubResponse = () => ({ status: 200 })) {
  stub = await startStubServer((request) => {
    if (request.url === '/creds') {
      return {
        status: 200,
        body: JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 'container-secret', Token: 'container-token', Expiration: later() }),
      };
    }
    if (request.method === 'POST' && request.url === '/') {
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWEBIDENTITY</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey><SessionToken>web-token</SessionToken><Expiration>${later()}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/producer/job</Arn><AssumedRoleId>AROA:job</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      };
    }
    return s3(request);
  });
  return stub;
}

const later = () => new Date(Date.now() + 3_600_000).toISOString();
const s3Requests = () => stub!.requests.filter((r) => r.url !== '/creds' && !(r.method === 'POST' && r.url === '/'));
const credentialOf = (r: StubRequest) => /Credential=([^/]+)\/\d{8}\/([^/]+)\/s3\/aws4_request/.exec(String(r.headers['authorization']))?.slice(1);

describe('SigV4ObjectClient credentials: the SDK default chain', () => {
  it('signs with the environment credentials, in the region of AWS_REGION', async () => {
    const aws = await fakeAws();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_ENDPOINT_URL: aws.url });
    const s3 = new SigV4ObjectClient({ forcePathStyle: true });
    await s3.putObject({ bucket: 'logs', key: 'k', body: 'x', contentType: 'text/plain' });
    s3.destroy();
    expect(credentialOf(s3Requests()[0]!)).toEqual(['AKIAENVIRONMENT', 'eu-west-1']);
    expect(s3Requests()[0]!.headers['x-amz-security-token']).toBeUndefined();
  });

  it('takes credentials from a container credentials endpoint (ECS, EKS Pod Identity) and sends their session token', async () => {
    const aws = await fakeAws();
    Object.assign(process.env, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'pod-token',
      AWS_ENDPOINT_URL: aws.url,
    });
    const s3 = new SigV4ObjectClient({ forcePathStyle: true });
    await s3.putObject({ bucket: 'logs', key: 'k', body: 'x', contentType: 'text/plain' });
    s3.destroy();
    expect(aws.requests.find((r) => r.url === '/creds')?.headers['authorization']).toBe('pod-token');
    expect(credentialOf(s3Requests()[0]!)).toEqual(['ASIACONTAINER', 'eu-west-1']);
    expect(s3Requests()[0]!.headers['x-amz-security-token']).toBe('container-token');
  });

  it('assumes the role of a web identity token file (EKS IRSA) through STS', async () => {
    const aws = await fakeAws();
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'the-oidc-token');
    Object.assign(process.env, {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/producer',
      AWS_ROLE_SESSION_NAME: 'job',
      AWS_ENDPOINT_URL_STS: aws.url,
      AWS_ENDPOINT_URL_S3: aws.url,
    });
    const s3 = new SigV4ObjectClient({ forcePathStyle: true });
    await s3.putObject({ bucket: 'logs', key: 'k', body: 'x', contentType: 'text/plain' });
    s3.destroy();
    const sts = aws.requests.find((r) => r.method === 'POST' && r.url === '/');
    expect(new URLSearchParams(sts!.body.toString()).get('WebIdentityToken')).toBe('the-oidc-token');
    expect(credentialOf(s3Requests()[0]!)).toEqual(['ASIAWEBIDENTITY', 'eu-west-1']);
    expect(s3Requests()[0]!.headers['x-amz-security-token']).toBe('web-token');
  });

  it('fails as the SDK does when no provider has credentials', async () => {
    const aws = await fakeAws();
    process.env['AWS_ENDPOINT_URL'] = aws.url;
    const s3 = new SigV4ObjectClient({ forcePathStyle: true });
    await expect(s3.listKeys({ bucket: 'logs', prefix: 'chunks/', maxKeys: 1 })).rejects.toMatchObject({ name: 'CredentialsProviderError' });
    s3.destroy();
    expect(s3Requests()).toEqual([]);
  });
});

describe('SigV4ObjectClient requests and answers', () => {
  const credentials = async () => ({ accessKeyId: 'AKIATEST', secretAccessKey: 'secret' });

  it('sends a conditional PUT with its metadata, content type and payload hash, path-style to the configured endpoint', async () => {
    const aws = await fakeAws();
    process.env['AWS_ENDPOINT_URL'] = 'http://127.0.0.1:9';
    process.env['AWS_ENDPOINT_URL_S3'] = aws.url;
    const s3 = new SigV4ObjectClient({ credentials, forcePathStyle: true });
    const body = Buffer.from('gzip bytes');
    await s3.putObject({
      bucket: 'logs',
      key: 'chunks/v1/job-1/main/0000000000.log.gz',
      body,
      contentType: 'application/gzip',
      metadata: { format: 'framed-v1' },
      ifNoneMatch: '*',
    });
    s3.destroy();
    const [put] = s3Requests();
    expect(put).toMatchObject({ method: 'PUT', url: '/logs/chunks/v1/job-1/main/0000000000.log.gz', body });
    expect(put!.headers).toMatchObject({
      'if-none-match': '*',
      'x-amz-meta-format': 'framed-v1',
      'content-type': 'application/gzip',
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    });
    expect(String(put!.headers['authorization'])).toMatch(/SignedHeaders=[^,]*if-none-match[^,]*x-amz-meta-format/);
  });

  it("turns S3's XML errors into the SDK's shape: code as name, HTTP status in $metadata", async () => {
    const answers: StubResponse[] = [
      { status: 412, body: '<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>' },
      { status: 503, body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>R1</RequestId></Error>' },
      { status: 404 },
    ];
    const aws = await fakeAws(() => answers.shift()!);
    const s3 = new SigV4ObjectClient({ credentials, endpoint: aws.url, region: 'us-east-1' });
    const put = () => s3.putObject({ bucket: 'logs', key: 'k', body: 'x', contentType: 'text/plain', ifNoneMatch: '*' });
    await expect(put()).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await expect(put()).rejects.toMatchObject({
      name: 'SlowDown',
      message: 'Please reduce your request rate.',
      $metadata: { httpStatusCode: 503, requestId: 'R1' },
    });
    await expect(s3.headObject({ bucket: 'logs', key: 'k' })).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    s3.destroy();
  });

  it("signs later requests with S3's time when the first answer says the clock is off", async () => {
    const serverTime = new Date(Date.now() + 3_600_000);
    const answers: StubResponse[] = [
      { status: 403, headers: { date: serverTime.toUTCString() }, body: '<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message></Error>' },
      { status: 200 },
    ];
    const aws = await fakeAws(() => answers.shift()!);
    const s3 = new SigV4ObjectClient({ credentials, endpoint: aws.url, region: 'us-east-1' });
    const put = () => s3.putObject({ bucket: 'logs', key: 'k', body: 'x', contentType: 'text/plain' });
    await expect(put()).rejects.toMatchObject({ name: 'RequestTimeTooSkewed' });
    await put();
    s3.destroy();
    const signedAt = (r: StubRequest) => String(r.headers['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
    const [first, second] = s3Requests();
    expect(Math.abs(Date.parse(signedAt(first!)) - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(signedAt(second!)) - serverTime.getTime())).toBeLessThan(60_000);
  });

  it('lists keys from the ListObjectsV2 answer, XML entities decoded', async () => {
    const aws = await fakeAws(() => ({ status: 200, body: '<ListBucketResult><Contents><Key>chunks/a&amp;b.log.gz</Key></Contents></ListBucketResult>' }));
    const s3 = new SigV4ObjectClient({ credentials, endpoint: aws.url, region: 'us-east-1' });
    expect(await s3.listKeys({ bucket: 'logs', prefix: 'chunks/v1/job 1/', maxKeys: 1 })).toEqual(['chunks/a&b.log.gz']);
    s3.destroy();
    expect(s3Requests()[0]!.url).toBe('/logs/?list-type=2&max-keys=1&prefix=chunks%2Fv1%2Fjob%201%2F');
  });
});

describe('objectUrl', () => {
  const aws = new URL('https://s3.eu-west-1.amazonaws.com');
  it('addresses a bucket virtual-hosted on S3, path-style when asked, for an IP endpoint or a bucket name with dots', () => {
    expect(objectUrl(aws, 'logs', 'chunks/v1/a b.gz', false).href).toBe('https://logs.s3.eu-west-1.amazonaws.com/chunks/v1/a%20b.gz');
    expect(objectUrl(aws, 'logs', 'k', true).href).toBe('https://s3.eu-west-1.amazonaws.com/logs/k');
    expect(objectUrl(new URL('http://127.0.0.1:5055'), 'logs', 'k', false).href).toBe('http://127.0.0.1:5055/logs/k');
    expect(objectUrl(aws, 'my.logs', "it's(1)*", false).href).toBe('https://s3.eu-west-1.amazonaws.com/my.logs/it%27s%281%29%2A');
  });
});
