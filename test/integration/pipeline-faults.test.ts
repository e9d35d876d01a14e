/**
 * Faults on the producer side, through the whole pipeline — the bundled `joblogs` CLI shipping a
 * real child's output into `chunks/`, the indexer into Elasticsearch, the assembler into the
 * download file — each ending with testkit/invariant.ts over all three: printed lines ==
 * documents in Elasticsearch (exactly once, by _id and content) == lines of the download file.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { buildCli } from '../../cli/build.js';
import { chunkKey, decodeFrames } from '../../shared/core/contract/index.js';
import { putJobMarker, registerTestJob } from '../../testkit/jobs.js';
import {
  checkExactlyOnce,
  countJobDocuments,
  describeVerdict,
  downloadLinesView,
  eventually,
  readGzipObjects,
  shipperArgs,
  startFaultProxy,
  writeSuiteResults,
  type FaultProxy,
  type PrintedChunk,
  type SuiteRow,
} from '../../testkit/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
let stack: LocalStack;
let work: string;
let bin: string;
let s3Proxy: FaultProxy;
let pipeline: LocalPipeline;
const rows: SuiteRow[] = [];

/** Prints `count` lines (0 = forever) a few ms apart, and appends each to `printed` first. */
const PRINTER = String.raw`
import { appendFileSync } from 'node:fs';
const [printed, count] = [process.argv[2], Number(process.argv[3])];
let i = 0;
const tick = () => {
  const line = 'producer line ' + i + ' ' + 'x'.repeat(i % 40);
  appendFileSync(printed, line + '\n');
  process.stdout.write(line + '\n');
  i++;
  if (count === 0 || i < count) setTimeout(tick, 2);
};
tick();
`;

beforeAll(async () => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-pipeline-faults-'));
  bin = await buildCli(path.join(work, 'joblogs.mjs'));
  await import('node:fs').then((fs) => fs.writeFileSync(path.join(work, 'printer.mjs'), PRINTER));
  s3Proxy = await startFaultProxy(stack.info.moto.url);
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), purge: true });
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  await s3Proxy?.close();
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'pipeline-faults',
      title: 'Producer-side faults through the whole pipeline (joblogs CLI → S3 → indexer → Elasticsearch, and → assembler → download file)',
      notes: [
        'Each scenario ends with testkit/invariant.ts over three views: printed lines == Elasticsearch (exactly once, by _id and content) == the download file.',
      ],
      rows,
    });
  }
});

function joblogs(jobId: string, spoolDir: string, printed: string, count: number, endpoint: string) {
  const child = spawn(
    process.execPath,
    [
      bin,
      ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir }, ['--flush-interval', '150']),
      '--',
      process.execPath,
      path.join(work, 'printer.mjs'),
      printed,
      String(count),
    ],
    { env: { ...process.env, ...awsLocalEnv(stack.info), AWS_ENDPOINT_URL: endpoint }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

const spooled = (spoolDir: string, jobId: string) => {
  const dir = path.join(spoolDir, jobId, 'main');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.chunk')).length : 0;
};

/** The job's chunks as the invariant needs them: per key, the text of each frame in order. */
async function shippedChunks(jobId: string): Promise<PrintedChunk[]> {
  const objects = await readGzipObjects(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
  return objects.map(({ key, text }) => ({ key, lines: decodeFrames(text).map((f) => f.bytes.toString('utf8')) }));
}

async function endWithInvariant(name: string, input: string, jobId: string, printed: string[]): Promise<void> {
  const chunks = await shippedChunks(jobId);
  // What reached S3 is exactly what was printed, in order — the producer side of the invariant.
  expect(chunks.flatMap((c) => c.lines)).toEqual(printed);
  const expected = printed.filter((l) => l.trim() !== '').length;
  await eventually(
    () => countJobDocuments(stack, DATA_STREAM, jobId),
    (n) => n >= expected,
    `${expected} documents of ${name}`,
    90_000,
  );
  const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [downloadLinesView(stack, jobId, 90_000)] });
  rows.push({
    name,
    input,
    expected: 'printed == Elasticsearch (exactly once) == download file',
    observed: describeVerdict(verdict),
    pass: verdict.problems.length === 0,
  });
  expect(verdict.problems).toEqual([]);
}

describe('the shipper’s S3 goes away', () => {
  it('spools while S3 is unreachable, delivers once it is back: every line once in Elasticsearch and in the download file', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `pf-s3-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    const printedFile = path.join(dir, 'printed');
    s3Proxy.up();
    const run = joblogs(jobId, path.join(dir, 'spool'), printedFile, 800, s3Proxy.url);
    try {
      await eventually(
        async () => (await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: `chunks/v1/${jobId}/` }))).KeyCount ?? 0,
        (n) => n >= 1,
        'the first upload',
      );
      s3Proxy.down();
      await eventually(
        () => spooled(path.join(dir, 'spool'), jobId),
        (n) => n >= 2,
        'chunks to wait in the spool',
      );
    } finally {
      s3Proxy.up();
    }
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/[1-9]\d* spooled, 0 dropped/);
    await endWithInvariant(
      'shipper-s3-unreachable',
      'S3 connections reset mid-run (800 lines, flush 150 ms)',
      jobId,
      readFileSync(printedFile, 'utf8').split('\n').slice(0, -1),
    );
  });

  it('resumes a SIGKILLed shipper’s spool with the same job: nothing lost of what it had sealed, nothing twice', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `pf-kill-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    const spoolDir = path.join(dir, 'spool');
    s3Proxy.down();
    const first = joblogs(jobId, spoolDir, path.join(dir, 'printed-1'), 0, s3Proxy.url);
    await eventually(
      () => spooled(spoolDir, jobId),
      (n) => n >= 3,
      'chunks in the spool',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    s3Proxy.up();
    const second = joblogs(jobId, spoolDir, path.join(dir, 'printed-2'), 50, s3Proxy.url);
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toMatch(/resuming \d+ spooled chunk/);
    // The first run's unsealed tail died with it (SIGKILL): what it sealed is a prefix of what it printed.
    const chunks = await shippedChunks(jobId);
    const firstPrinted = readFileSync(path.join(dir, 'printed-1'), 'utf8').split('\n').slice(0, -1);
    const secondPrinted = readFileSync(path.join(dir, 'printed-2'), 'utf8').split('\n').slice(0, -1);
    const shippedOfFirst = chunks.flatMap((c) => c.lines).length - secondPrinted.length;
    expect(shippedOfFirst).toBeGreaterThan(0);
    await endWithInvariant('shipper-sigkill-restart', 'shipper SIGKILLed with chunks spooled (S3 down), restarted with the same job', jobId, [
      ...firstPrinted.slice(0, shippedOfFirst),
      ...secondPrinted,
    ]);
  });
});

describe('chunks arriving out of order, twice and late', () => {
  it('indexes and assembles every line once however the chunks arrive', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `pf-order-${randomUUID().slice(0, 8)}`);
    const chunks: PrintedChunk[] = Array.from({ length: 4 }, (_, seq) => ({
      key: chunkKey({ jobId, source: 'main', seq }),
      lines: Array.from({ length: 300 }, (_, i) => `chunk ${seq} line ${i}`),
    }));
    const put = (seq: number) =>
      stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: chunks[seq]!.key, Body: gzipSync(`${chunks[seq]!.lines.join('\n')}\n`) }));
    for (const seq of [2, 0, 2]) await put(seq);
    await putJobMarker(stack.s3, stack.bucket, { jobId, status: 'final', lastSeq: 3, lineCount: 1200 });
    // Late: after the final marker, within the assembler's wait for late chunks.
    await new Promise((r) => setTimeout(r, 3000));
    for (const seq of [3, 1, 3]) await put(seq);
    const verdict = await checkExactlyOnce(
      stack,
      await (async () => {
        await eventually(
          () => countJobDocuments(stack, DATA_STREAM, jobId),
          (n) => n >= 1200,
          'every line indexed',
          90_000,
        );
        return { dataStream: DATA_STREAM, jobId, printed: chunks, views: [downloadLinesView(stack, jobId, 90_000)] };
      })(),
    );
    rows.push({
      name: 'chunks-out-of-order-twice-late',
      input: 'chunks 2, 0, 2, final marker, then 3, 1, 3 three seconds later',
      expected: 'printed == Elasticsearch (exactly once) == download file',
      observed: describeVerdict(verdict),
      pass: verdict.problems.length === 0,
    });
    expect(verdict.problems).toEqual([]);
  });
});
