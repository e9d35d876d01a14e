/**
 * The CLI's S3 client (`SigV4ObjectClient`: SigV4 over node:http(s) with the SDK's credential
 * chain, no `@aws-sdk/client-s3`) against the local stack's real S3 (moto): what it writes the
 * SDK reads back the same, S3's conditional PUT answers 412, missing keys and buckets give S3's
 * errors, and a shipper on it delivers every chunk exactly once through 5xx answers, lost answers
 * and reset connections (an HTTP fault proxy in front of moto).
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigV4ObjectClient } from '../../shared/adapters/s3/sigv4-object-client.js';
import { decodeFrames } from '../../shared/core/contract/index.js';
import { Shipper, type ShipperEvent } from '../../shared/shipper/index.js';
import { listKeys, startHttpFaultProxy, type HttpFaultProxy } from '../../testkit/index.js';
import { loadStack, type LocalStack } from '../../testkit/stack/index.js';

const PREFIX = 'shipper-s3-client-it/';
const MOTO_CREDENTIALS = async () => ({ accessKeyId: 'test', secretAccessKey: 'test' });

let stack: LocalStack;
let work: string;

beforeAll(() => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-s3-client-it-'));
});
afterAll(async () => {
  await stack?.close();
  rmSync(work, { recursive: true, force: true });
});

function client(endpoint = stack.info.moto.url): SigV4ObjectClient {
  return new SigV4ObjectClient({ region: stack.region, endpoint, credentials: MOTO_CREDENTIALS, forcePathStyle: true });
}

describe('SigV4ObjectClient on moto', () => {
  it('writes an object the SDK reads back byte for byte with its metadata, and reads what the SDK wrote', async () => {
    const s3 = client();
    const key = `${PREFIX}${randomUUID()}/0000000000.log.gz`;
    const body = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x0a, 0x0d]);
    await s3.putObject({ bucket: stack.bucket, key, body, contentType: 'application/gzip', metadata: { format: 'framed-v1', 'content-sha256': 'abc' } });
    const head = await stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    expect(head.Metadata).toEqual({ format: 'framed-v1', 'content-sha256': 'abc' });
    expect(head.ContentType).toBe('application/gzip');
    const got = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);

    const other = `${PREFIX}${randomUUID()}/watch signal (1).json`;
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: other, Body: '{"until":"é"}', Metadata: { 'chunk-start': 'x' } }));
    expect(await s3.getObjectText({ bucket: stack.bucket, key: other })).toBe('{"until":"é"}');
    expect((await s3.headObject({ bucket: stack.bucket, key: other })).metadata).toEqual({ 'chunk-start': 'x' });
    expect(await s3.listKeys({ bucket: stack.bucket, prefix: other, maxKeys: 1 })).toEqual([other]);
    s3.destroy();
  });

  it('answers a conditional PUT of a key that exists with PreconditionFailed (412) and leaves the object as it was', async () => {
    const s3 = client();
    const key = `${PREFIX}${randomUUID()}/0000000000.log.gz`;
    await s3.putObject({ bucket: stack.bucket, key, body: 'first', contentType: 'text/plain', ifNoneMatch: '*' });
    const error = await s3.putObject({ bucket: stack.bucket, key, body: 'second', contentType: 'text/plain', ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await s3.getObjectText({ bucket: stack.bucket, key })).toBe('first');
    s3.destroy();
  });

  it("gives S3's errors for a missing key and a missing bucket", async () => {
    const s3 = client();
    const key = `${PREFIX}${randomUUID()}/missing.json`;
    await expect(s3.getObjectText({ bucket: stack.bucket, key })).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(s3.headObject({ bucket: stack.bucket, key })).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    await expect(s3.listKeys({ bucket: `no-such-bucket-${randomUUID().slice(0, 8)}`, prefix: 'x', maxKeys: 1 })).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
    s3.destroy();
  });
});

describe('a shipper on SigV4ObjectClient behind a faulty S3', () => {
  let proxy: HttpFaultProxy;
  beforeAll(async () => {
    proxy = await startHttpFaultProxy(stack.info.moto.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('retries 503s, lost answers and resets, and uploads every chunk exactly once, in order', async () => {
    const jobId = `s3c-${randomUUID().slice(0, 8)}`;
    const chunkPuts = (method: string, p: string) => method === 'PUT' && p.includes(`/${PREFIX}v1/${jobId}/`);
    let chunkPut = 0;
    // Of the chunk PUTs: the 1st answers 503 SlowDown, the 2nd is done by S3 but its answer is lost, the 3rd is reset.
    proxy.plan(({ method, path: p }) => {
      if (!chunkPuts(method, p)) return undefined;
      chunkPut++;
      if (chunkPut === 1) return { kind: 'status', status: 503 };
      if (chunkPut === 2) return { kind: 'cut' };
      if (chunkPut === 3) return { kind: 'refuse' };
      return undefined;
    });
    const events: ShipperEvent[] = [];
    const s3 = client(proxy.url);
    const shipper = await Shipper.open({
      jobId,
      bucket: stack.bucket,
      prefix: PREFIX,
      spoolDir: path.join(work, jobId),
      s3,
      maxChunkBytes: 1024,
      retryBaseMs: 10,
      retryMaxMs: 50,
      onEvent: (e) => events.push(e),
    });
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    shipper.write('stdout', Buffer.from(lines.map((l) => `${l}\n`).join('')));
    const summary = await shipper.close({ exitCode: 0 });
    proxy.clear();
    s3.destroy();

    expect(summary).toMatchObject({ lines: 200, dropped: 0, pending: 0, conflicts: 0 });
    expect(summary.uploaded).toBe(summary.chunks);
    expect(summary.retries).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'upload-failed').length).toBe(summary.retries);
    const keys = await listKeys(stack.s3, stack.bucket, `${PREFIX}v1/${jobId}/main/`);
    expect(keys).toHaveLength(summary.chunks);
    const shipped: string[] = [];
    for (const key of keys) {
      const out = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
      shipped.push(...decodeFrames(gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8')).map((f) => f.bytes.toString()));
    }
    expect(shipped).toEqual(lines);
  });
});
