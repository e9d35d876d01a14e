/**
 * Secrets never leave the container: the `joblogs` bin (the bundle, a real process) runs a job
 * that prints tokens — split across writes, across a line-part and chunk boundary, in a private
 * key block, as the value of a variable it declares secret — and the real indexer and assembler
 * take its chunks on the local stack. The job's own terminal sees every byte; nothing in S3
 * (chunks, markers), Elasticsearch or the download file holds any piece of a secret.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../cli/build.js';
import { jobMarkerKey, parseJobMarker } from '../../shared/core/contract/index.js';
import { eventually, jobDocuments, readDownloadLines, readGzipObjects, readObject, registerTestJob, shipperArgs } from '../../testkit/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const HF = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DECLARED = 'declared-secret-0f3c9a71e2';
const KEY_BODY = 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWep4PAtGoSo';
/** Pieces (≥ 10 bytes) of every secret: none may appear anywhere downstream. */
const PIECES = [
  HF.slice(3, 20),
  HF.slice(20),
  JWT.slice(40, 80),
  JWT.slice(-20),
  AWS_SECRET.slice(0, 16),
  AWS_SECRET.slice(-16),
  DECLARED.slice(0, 12),
  DECLARED.slice(-12),
  KEY_BODY.slice(5, 25),
  'p4ssw0rd-in-url',
];

/** The job: each secret printed in its own awkward way (writes 30 ms apart, so the shipper reads them apart). */
const JOB = String.raw`
const writes = [
  'token for the hub: ' + ${JSON.stringify(HF.slice(0, 14))}, ${JSON.stringify(HF.slice(14))} + '\n',
  'curl -H "Authorization: Bearer ' + ${JSON.stringify(JWT)} + '" https://api/v1\n',
  'x'.repeat(1500) + ' AWS_SECRET_ACCESS_KEY=' + ${JSON.stringify(AWS_SECRET)} + ' ' + 'y'.repeat(1500) + '\n',
  'declared: ' + process.env.MY_DECLARED_SECRET + '\n',
  '-----BEGIN RSA PRIVATE KEY-----\n', ${JSON.stringify(KEY_BODY)} + '\n', '-----END RSA PRIVATE KEY-----\n',
  'db at postgres://admin:p4ssw0rd-in-url@db:5432/app\n',
  'done\n',
];
let i = 0;
const next = () => { if (i < writes.length) { process.stdout.write(writes[i++]); setTimeout(next, 30); } };
next();
`;

let stack: LocalStack;
let work: string;
let bin: string;
let pipeline: LocalPipeline;

beforeAll(async () => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-scrub-it-'));
  bin = await buildCli(path.join(work, 'joblogs.mjs'));
  writeFileSync(path.join(work, 'job.mjs'), JOB);
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler({ env: { GAP_WAIT_SECONDS: '1' } }) });
});

afterAll(async () => {
  await pipeline?.stop();
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const holdsASecret = (text: string) => PIECES.filter((piece) => text.includes(piece));

/** Every file under `dir`, read as Latin-1 (whatever it holds). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push(readFileSync(file).toString('latin1'));
  }
  return out;
}

describe('joblogs run with secrets in the output', () => {
  it("shows them on the job's terminal unchanged, and ships [REDACTED:<kind>] to S3, Elasticsearch and the download file", async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `scrub-${randomUUID().slice(0, 8)}`);
    const spoolDir = path.join(work, 'spool');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir }, [
          '--redact-env',
          'MY_DECLARED_SECRET',
          '--max-line-bytes',
          '1024',
          '--max-chunk-bytes',
          '2048',
        ]),
        '--',
        process.execPath,
        path.join(work, 'job.mjs'),
      ],
      { env: { ...process.env, ...awsLocalEnv(stack.info), MY_DECLARED_SECRET: DECLARED }, encoding: 'utf8', maxBuffer: 16 << 20 },
    );

    // The terminal is the user's own: every byte as printed.
    for (const secret of [HF, JWT, AWS_SECRET, DECLARED, KEY_BODY, 'p4ssw0rd-in-url']) expect(stdout).toContain(secret);
    expect(stderr).toMatch(/6 secret\(s\) redacted \(.*huggingface-token 1.*\)/);

    const chunks = await readGzipObjects(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.flatMap((c) => holdsASecret(c.text))).toEqual([]);
    const shipped = chunks.map((c) => c.text).join('');
    for (const kind of ['huggingface-token', 'jwt', 'aws-secret-access-key', 'env:MY_DECLARED_SECRET', 'private-key', 'url-password'])
      expect(shipped).toContain(`[REDACTED:${kind}]`);
    const marker = parseJobMarker((await readObject(stack.s3, stack.bucket, jobMarkerKey(jobId, 'main', 'final'))).toString('utf8'));
    expect(marker.redactions).toBe(6);
    expect(chunks.at(-1)!.metadata['redactions']).toBe('6');
    expect(filesUnder(spoolDir).flatMap(holdsASecret)).toEqual([]);

    const docs = await eventually(
      () => jobDocuments(stack, DATA_STREAM, jobId),
      (d) => d.some((doc) => doc._source['message'] === 'done'),
      'the job to be searchable',
    );
    expect(holdsASecret(JSON.stringify(docs))).toEqual([]);
    expect(docs.map((d) => d._source['message'])).toContain('token for the hub: [REDACTED:huggingface-token]');

    const lines = await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, jobId),
      (l) => l !== undefined,
      'the download file',
    );
    expect(holdsASecret(lines!.join('\n'))).toEqual([]);
    expect(lines).toContain('declared: [REDACTED:env:MY_DECLARED_SECRET]');
    expect(lines).toContain('db at postgres://admin:[REDACTED:url-password]@db:5432/app');
  });
});
