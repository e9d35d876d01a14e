/**
 * The download assembler on the local stack: job markers land in S3 → the bucket notification
 * (as serverless.yml declares it) → the assemble queue → the real handler behind the SQS runner
 * → `downloads/<jobId>.log.gz` in moto, fetched back over HTTP with a presigned URL.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { quickAssembler, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { buildCli } from '../../cli/build.js';
import { archiveJob } from '../../functions/assembler/archive-job.js';
import { readAndAssembleJob } from '../../functions/assembler/assemble-job.js';
import type { AssemblerDeps } from '../../functions/assembler/deps.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { assemblerAdapters } from '../../functions/assembler/create-handler.js';
import { loadAssemblerConfig } from '../../shared/config/assembler-config.js';
import { archiveKeys } from '../../shared/core/archive/index.js';
import { chunkKey, encodeFrame, registrationKey, type JobMarker } from '../../shared/core/contract/index.js';
import { discardSink, eventually, putJobMarker, readObject, registerTestJob, shipperArgs, TEST_OWNER } from '../../testkit/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';

let stack: LocalStack;
let work: string;
let assembler: LocalPipeline | undefined;

beforeAll(() => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-assembler-it-'));
});
afterEach(async () => {
  await assembler?.stop();
  assembler = undefined;
});
afterAll(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A new job id, registered by the launcher as alice's (team vision). */
const newJob = () => registerTestJob(stack.s3, stack.bucket, `asm-${randomUUID().slice(0, 8)}`);
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

interface Line {
  time: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Uploads one framed-v1 chunk, numbering its frames from `firstLine`. */
async function putChunk(jobId: string, source: string, seq: number, lines: Line[], firstLine: number, metadata: Record<string, string> = {}): Promise<void> {
  const body = lines
    .map((l, i) => `${encodeFrame({ time: l.time, stream: l.stream, line: firstLine + i, bytes: Buffer.from(l.text), terminator: '\n' })}\n`)
    .join('');
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.bucket,
      Key: chunkKey({ jobId, source, seq }),
      Body: gzipSync(body),
      Metadata: { format: 'framed-v1', ...metadata },
    }),
  );
}

async function putMarker(marker: Partial<JobMarker> & Pick<JobMarker, 'jobId' | 'source' | 'status'>): Promise<void> {
  await putJobMarker(stack.s3, stack.bucket, { startedAt: new Date(T0).toISOString(), ...marker });
}

/** A finished job of ~20 MiB of barely compressible text in 20 chunks: at least three 5 MiB parts, for its download file and its archive. */
async function givenLargeJob(): Promise<{ jobId: string; lines: number }> {
  const jobId = await newJob();
  const chunks = 20;
  let n = 0;
  for (let seq = 0; seq < chunks; seq++) {
    const lines: Line[] = Array.from({ length: 1000 }, () => ({
      time: T0 + n * 3,
      stream: 'stdout' as const,
      text: `${n++} ${randomBytes(768).toString('base64')}`,
    }));
    await putChunk(jobId, 'main', seq, lines, seq * 1000);
  }
  await putMarker({ jobId, source: 'main', status: 'final', lastSeq: chunks - 1, lineCount: n, exitCode: 0 });
  return { jobId, lines: n };
}

async function head(jobId: string) {
  return stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: `downloads/${jobId}.log.gz` }));
}

const download = (jobId: string): Promise<Buffer> => readObject(stack.s3, stack.bucket, `downloads/${jobId}.log.gz`);

const textLines = (gz: Buffer) => gunzipSync(gz).toString('utf8').split('\n').slice(0, -1);

/** `lines` of `n` steps from `from`, one per 10 ms. */
const steps = (from: number, n: number, stream: Line['stream'] = 'stdout', tag = 'step'): Line[] =>
  Array.from({ length: n }, (_, i) => ({ time: T0 + (from + i) * 10, stream, text: `${tag} ${from + i} loss=${(1 / (from + i + 1)).toFixed(4)}` }));

const expected = (lines: Line[], source?: string) => lines.map((l) => `${new Date(l.time).toISOString()} ${source ? `${source} ` : ''}${l.stream} ${l.text}`);

function directDeps(overrides: Partial<AssemblerDeps['config']> = {}): AssemblerDeps {
  const config = { ...loadAssemblerConfig({ ...stack.info.resources.assembler.environment, S3_FORCE_PATH_STYLE: 'true' }), ...overrides };
  return {
    config,
    ...assemblerAdapters(config, stack.s3),
    queue: { send: async () => undefined },
    logger: createLogger('joblogs-assembler-test', discardSink()),
    now: Date.now,
  };
}

describe('download assembly on the local stack', () => {
  it('turns what a job printed under `joblogs run` into one file, fetched over HTTP with a presigned URL, every line in order', async () => {
    assembler = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const bin = await buildCli(path.join(work, 'joblogs.mjs'));
    const jobId = await newJob();
    const script = `for (let i = 0; i < 3000; i++) { (i % 7 === 0 ? process.stderr : process.stdout).write('epoch ' + i + ' loss=' + (1 / (i + 1)).toFixed(5) + '\\n'); }`;
    const child = spawn(
      process.execPath,
      [
        bin,
        ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir: path.join(work, 'spool') }, ['--flush-interval', '200']),
        '--',
        process.execPath,
        '-e',
        script,
      ],
      { env: { ...process.env, ...awsLocalEnv(stack.info) }, stdio: 'ignore' },
    );
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);

    const meta = await eventually(
      () => head(jobId),
      (h) => h.Metadata?.['status'] === 'complete',
      'the download file',
      90_000,
    );
    expect(meta.Metadata).toMatchObject({ owner: 'alice', team: 'vision', 'line-count': '3000', gaps: '0', 'missing-chunks': '0' });
    expect(meta.ContentType).toBe('application/gzip');

    const url = await getSignedUrl(stack.s3, new GetObjectCommand({ Bucket: stack.bucket, Key: `downloads/${jobId}.log.gz` }), { expiresIn: 60 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const lines = textLines(Buffer.from(await response.arrayBuffer()));
    expect(lines).toHaveLength(3000);
    // Two pipes: their relative order is the order the shipper read them; each stream's own order is exact.
    const printed = { stdout: [] as string[], stderr: [] as string[] };
    for (let i = 0; i < 3000; i++) printed[i % 7 === 0 ? 'stderr' : 'stdout'].push(`epoch ${i} loss=${(1 / (i + 1)).toFixed(5)}`);
    const got = { stdout: [] as string[], stderr: [] as string[] };
    let previous = 0;
    for (const line of lines) {
      const m = /^(\S+) (stdout|stderr) (.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      const time = Date.parse(m![1]!);
      expect(time).toBeGreaterThanOrEqual(previous);
      previous = time;
      got[m![2] as 'stdout' | 'stderr'].push(m![3]!);
    }
    expect(got).toEqual(printed);
  });

  it('is not thrown by chunks arriving out of order or twice, and interleaves sources by capture time', async () => {
    assembler = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const jobId = await newJob();
    const a = steps(0, 400, 'stdout', 'a');
    const b = steps(0, 400, 'stderr', 'b').map((l) => ({ ...l, time: l.time + 5 }));
    for (const seq of [3, 1, 0, 2, 1, 3]) await putChunk(jobId, 'rank-0', seq, a.slice(seq * 100, seq * 100 + 100), seq * 100);
    for (const seq of [1, 0]) await putChunk(jobId, 'rank-1', seq, b.slice(seq * 200, seq * 200 + 200), seq * 200);
    await putMarker({ jobId, source: 'rank-0', status: 'final', lastSeq: 3, lineCount: 400, exitCode: 0 });
    await putMarker({ jobId, source: 'rank-1', status: 'running' });
    await new Promise((r) => setTimeout(r, 2500));
    await expect(head(jobId)).rejects.toThrow(); // rank-1 still runs: nothing assembled yet
    await putMarker({ jobId, source: 'rank-1', status: 'final', lastSeq: 1, lineCount: 400, exitCode: 0 });

    await eventually(
      () => head(jobId),
      (h) => h.Metadata?.['status'] === 'complete',
      'the download file',
    );
    const want = [...expected(a, 'rank-0').map((t, i) => ({ t, k: a[i]!.time })), ...expected(b, 'rank-1').map((t, i) => ({ t, k: b[i]!.time }))]
      .sort((x, y) => x.k - y.k)
      .map((x) => x.t);
    expect(textLines(await download(jobId))).toEqual(want);
  });

  it('waits for a missing chunk, then writes an explicit gap marker — and replaces the file when the chunk turns up', async () => {
    assembler = await startLocalPipeline({ stack, assembler: quickAssembler({ env: { GAP_WAIT_SECONDS: '2' } }), purge: true });
    const jobId = await newJob();
    const lines = steps(0, 300);
    await putChunk(jobId, 'main', 0, lines.slice(0, 100), 0);
    await putChunk(jobId, 'main', 2, lines.slice(200, 300), 200);
    await putMarker({ jobId, source: 'main', status: 'final', lastSeq: 2, lineCount: 300, exitCode: 0 });

    const withGap = await eventually(
      () => head(jobId),
      (h) => h.Metadata?.['status'] === 'complete',
      'the download file with a gap',
      60_000,
    );
    expect(withGap.Metadata).toMatchObject({ gaps: '1', 'missing-chunks': '1', 'line-count': '200' });
    const text = textLines(await download(jobId));
    expect(text).toHaveLength(201);
    expect(text.slice(0, 100)).toEqual(expected(lines.slice(0, 100)));
    expect(text[100]).toMatch(/joblogs \[gap\] chunk 1 of source main never arrived: lines 100-199 \(100\) missing$/);
    expect(text.slice(101)).toEqual(expected(lines.slice(200)));
    // The file is written (and visible) before the assembler queues its recheck and archive and logs.
    const recheck = await eventually(
      async () => assembler!.logs.find((l) => l.message === 'download file assembled' && l.jobId === jobId),
      (l) => l !== undefined,
      'the assembler to log the assembly',
    );
    expect(recheck).toMatchObject({ missingChunks: 1, gaps: 1 });

    // The late chunk arrives; the next recheck (sent here instead of waiting 15 minutes) rebuilds the file.
    await putChunk(jobId, 'main', 1, lines.slice(100, 200), 100);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.info.resources.assembler.queueUrl, MessageBody: JSON.stringify({ jobId, recheck: 1 }) }));
    await eventually(
      () => head(jobId),
      (h) => h.Metadata?.['gaps'] === '0',
      'the rebuilt download file',
    );
    expect(textLines(await download(jobId))).toEqual(expected(lines));
  });

  it('continues a large assembly across invocations from where each stopped, byte-identical to a single run, and the same object when run again', async () => {
    const { jobId, lines: n } = await givenLargeJob();
    // The queue picks the marker up too; assemble directly here for a deterministic comparison.
    const once = await readAndAssembleJob({ jobId }, directDeps({ partBytes: 5 * 1024 * 1024 }), Date.now() + 600_000);
    expect(once).toMatchObject({ kind: 'assembled', invocations: 1, metadata: { lineCount: n, gaps: 0 } });
    const single = await download(jobId);
    const singleEtag = (await head(jobId)).ETag;

    // Every invocation's deadline has passed as soon as it uploads a part: one part per invocation.
    let outcome = await readAndAssembleJob({ jobId }, directDeps({ partBytes: 5 * 1024 * 1024 }), 0);
    let invocations = 1;
    while (outcome.kind === 'continued') {
      expect(outcome.continuation.upload.parts).toHaveLength(invocations);
      outcome = await readAndAssembleJob({ jobId, continuation: outcome.continuation }, directDeps({ partBytes: 5 * 1024 * 1024 }), 0);
      invocations++;
    }
    expect(outcome).toMatchObject({ kind: 'assembled', metadata: { lineCount: n } });
    expect(invocations).toBeGreaterThanOrEqual(3);
    expect((await download(jobId)).equals(single)).toBe(true);
    expect((await head(jobId)).ETag).toBe(singleEtag);
    const text = textLines(single);
    expect(text).toHaveLength(n);
    text.forEach((line, i) => expect(line.split(' ')[2]).toBe(String(i)));
  }, 180_000);

  it("continues a large job's archive build across invocations from the state each left, byte-identical to a single run", async () => {
    const { jobId, lines } = await givenLargeJob();
    const keys = archiveKeys(jobId);
    const archive = async () => ({
      records: await readObject(stack.s3, stack.bucket, keys.records),
      index: (await readObject(stack.s3, stack.bucket, keys.index)).toString('utf8'),
    });
    // A headroom so long that no invocation fails between parts: only the stop after a part is tested.
    const deps = directDeps({ partBytes: 5 * 1024 * 1024, deadlineHeadroomMs: 3_600_000 });
    const record = await deps.jobs.readJob(jobId);
    expect(await archiveJob(jobId, record, deps, Date.now() + 600_000)).toMatchObject({ kind: 'archived', records: lines, invocations: 1 });
    const single = await archive();

    // Every invocation's deadline has passed as soon as it uploads a part: one part per invocation.
    let outcome = await archiveJob(jobId, record, deps, Date.now());
    let invocations = 1;
    while (outcome.kind === 'continued') {
      expect(outcome).toMatchObject({ parts: invocations, continuation: { invocation: invocations + 1 } });
      const state = JSON.parse((await readObject(stack.s3, stack.bucket, keys.resume)).toString('utf8'));
      expect(state.upload.uploadId).toBe(outcome.continuation.uploadId);
      outcome = await archiveJob(jobId, record, deps, Date.now(), { continuation: outcome.continuation });
      invocations++;
    }
    expect(outcome).toMatchObject({ kind: 'archived', records: lines, invocations });
    expect(invocations).toBeGreaterThanOrEqual(3);
    const stepped = await archive();
    expect(stepped.records.equals(single.records)).toBe(true);
    expect(stepped.index).toBe(single.index);
  }, 240_000);

  it("reads a job's registration alone (what a build checks before it completes), and nothing once a purge deleted it", async () => {
    const jobs = directDeps().jobs;
    const jobId = await registerTestJob(stack.s3, stack.bucket, `reg-${randomUUID().slice(0, 8)}`);
    expect(await jobs.readRegistration(jobId)).toMatchObject({ jobId, owner: TEST_OWNER.owner });
    await stack.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: registrationKey(jobId) }));
    expect(await jobs.readRegistration(jobId)).toBeUndefined();
    expect(await jobs.readRegistration(`never-${randomUUID().slice(0, 8)}`)).toBeUndefined();
  });

  it('assembles what exists while the job runs when asked (partial), and dead-letters a request it cannot read', async () => {
    assembler = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const jobId = await newJob();
    await putChunk(jobId, 'main', 0, steps(0, 50), 0);
    await putMarker({ jobId, source: 'main', status: 'running' });
    const queueUrl = stack.info.resources.assembler.queueUrl;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ jobId, partial: true }) }));
    const partial = await eventually(
      () => head(jobId),
      (h) => h.Metadata?.['status'] === 'partial',
      'the partial download',
    );
    expect(partial.Metadata?.['line-count']).toBe('50');
    expect(textLines(await download(jobId))).toEqual(expected(steps(0, 50)));

    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ jobId: '../etc/passwd' }) }));
    const failure = await eventually(
      () => assembler!.logs.find((l) => l.message === 'permanent failure sent to the dead-letter path'),
      (l) => l !== undefined,
      'the dead-letter log line',
    );
    expect(failure).toMatchObject({ code: 'MALFORMED_MESSAGE' });
    expect(failure!.reason).toMatch(/jobId: invalid job id/);
    const report = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: failure!.deadLetter }));
    expect(JSON.parse(await report.Body!.transformToString())).toMatchObject({ code: 'MALFORMED_MESSAGE' });
  });
});
