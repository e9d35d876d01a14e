/**
 * The Python client (clients/python, importable as `joblogs`) as a producer on the local stack:
 * jobs under `python -m joblogs run` and under `joblogs.capture()`, through the real indexer into
 * Elasticsearch and through the assembler into the download file, and the producer faults that
 * matter on its shipper (S3 unreachable mid-run, SIGKILL + restart with the same job, a spool
 * that cannot be written). Every case ends with testkit/invariant.ts over three views: printed
 * lines == Elasticsearch (exactly once, by _id and content) == the download file, and is recorded
 * in docs/robustness.md. The client's venv comes from testkit (`ensurePythonClient`).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeFrames,
  jobMarkerKey,
  parseJobMarker,
  parseJobRegistration,
  reassembleStreams,
  registrationKey,
  type Frame,
} from '../../shared/core/contract/index.js';
import {
  checkExactlyOnce,
  exactlyOnceVerdict,
  expectedDocuments,
  jobDocuments,
  describeVerdict,
  downloadLinesView,
  eventually,
  readGzipObjects,
  readObject,
  startFaultProxy,
  writeSuiteResults,
  type FaultProxy,
  type PrintedChunk,
  type SuiteRow,
} from '../../testkit/index.js';
import { registerTestJob, shipperArgs } from '../../testkit/jobs.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, ensurePythonClient, loadStack, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';

/** Prints `count` lines (0 = until killed) a few ms apart, each appended to `printed` first (`-`: no copy), so a killed run still says what it printed. */
const PRINTER = String.raw`
import sys, time
printed, count = sys.argv[1], int(sys.argv[2])
copy = open(printed, "a", encoding="utf-8") if printed != "-" else None
i = 0
while count == 0 or i < count:
    line = f"python producer line {i} " + "é" * (i % 7) + "x" * (i % 40)
    if copy:
        copy.write(line + "\n")
        copy.flush()
    print(line, flush=True)
    i += 1
    time.sleep(0.002)
`;

/** A job whose entrypoint cannot change: capture() first, then output from Python, from fd 1 directly (as a C extension writes), from a child process, and an exception. */
const CAPTURED_TRAINING = String.raw`
import joblogs
joblogs.capture()
import os, subprocess, sys
print("epoch 1 step 0 loss 2.302585")
os.write(1, b"written to fd 1 directly, as CUDA and NCCL write\n")
sys.stderr.write("UserWarning: a warning on stderr\n")
sys.stderr.flush()
subprocess.run([sys.executable, "-c", "print('from a child process that inherited fd 1')"], check=True)
for step in range(1, 400):
    print(f"epoch 1 step {step} loss {2.302585 / (step + 1):.6f}\ttokens/s 1234.5 ✓")
print("progress 10%", end="\r")
print("progress 100%", end="\r\n")
raise RuntimeError("loss diverged at step 400")
`;

let stack: LocalStack;
let python: string;
let work: string;
let pipeline: LocalPipeline;
let s3Proxy: FaultProxy;
const rows: SuiteRow[] = [];

beforeAll(async () => {
  stack = loadStack();
  python = await ensurePythonClient();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-python-it-'));
  writeFileSync(path.join(work, 'printer.py'), PRINTER);
  writeFileSync(path.join(work, 'train.py'), CAPTURED_TRAINING);
  s3Proxy = await startFaultProxy(stack.info.moto.url);
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), purge: true });
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
  await s3Proxy?.close();
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'python-client',
      title: 'The Python client as a producer (python -m joblogs run, joblogs.capture() → S3 → indexer → Elasticsearch, and → assembler → download file)',
      notes: [
        "Each case ends with testkit/invariant.ts over three views: printed lines == Elasticsearch (exactly once, by _id and content) == the download file. The client's own suite (clients/python/ci.sh, pytest on moto) runs the same faults and more.",
      ],
      rows,
    });
  }
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** `python …` with the stack's AWS settings (`endpoint` instead of moto's own URL, e.g. the fault proxy). */
function runPython(args: string[], o: { endpoint?: string; env?: Record<string, string> } = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JOBLOGS_') && name !== 'TRACEPARENT'));
  const child = spawn(python, args, {
    env: { ...base, ...awsLocalEnv(stack.info), AWS_ENDPOINT_URL: o.endpoint ?? stack.info.moto.url, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) })),
  );
  return { child, exited };
}

/** `python -m joblogs run --job-id … -- python printer.py <printed> <count>`. */
function runPrinter(jobId: string, dir: string, count: number, o: { printed: string; endpoint?: string; extra?: string[] }) {
  const args = [
    '-m',
    'joblogs',
    ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir: path.join(dir, 'spool') }, ['--flush-interval', '150', ...(o.extra ?? [])]),
  ];
  return runPython([...args, '--', python, path.join(work, 'printer.py'), o.printed, String(count)], { endpoint: o.endpoint });
}

const printedLines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1);

const spooled = (spoolDir: string, jobId: string) => {
  const dir = path.join(spoolDir, jobId, 'main');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.chunk')).length : 0;
};

async function shippedChunks(jobId: string): Promise<Array<PrintedChunk & { frames: Frame[]; metadata: Record<string, string> }>> {
  const objects = await readGzipObjects(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
  return objects.map(({ key, text, metadata }) => {
    const frames = decodeFrames(text);
    return { key, metadata, frames, lines: frames.map((f) => f.bytes.toString('utf8')) };
  });
}

/** The invariant over Elasticsearch and the download file, for the lines the job printed, recorded as a row. */
async function endWithInvariant(row: Pick<SuiteRow, 'name' | 'input'>, jobId: string, printed: readonly string[], note = ''): Promise<void> {
  const chunks = await shippedChunks(jobId);
  // What reached S3 is exactly what was printed, in order: the producer's side of the invariant.
  expect(chunks.flatMap((c) => c.lines)).toEqual(printed);
  expect(chunks.map((c) => c.metadata['producer'])).toEqual(chunks.map(() => expect.stringMatching(/^joblogs-python\//)));
  // Every printed line in a document (a traceback is one event, a progress bar one line: issue 14).
  const expected = expectedDocuments(stack.bucket, chunks);
  await eventually(
    async () => exactlyOnceVerdict(expected, await jobDocuments(stack, DATA_STREAM, jobId)).missing,
    (n) => n === 0,
    `every line of ${row.name}`,
    90_000,
  );
  const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [downloadLinesView(stack, jobId, 90_000)] });
  rows.push({
    ...row,
    expected: 'printed == Elasticsearch (exactly once) == download file',
    observed: `${describeVerdict(verdict)}${note}`,
    pass: verdict.problems.length === 0,
  });
  expect(verdict.problems).toEqual([]);
}

async function finalMarker(jobId: string) {
  const key = jobMarkerKey(jobId, 'main', 'final');
  const text = await eventually(
    () =>
      readObject(stack.s3, stack.bucket, key)
        .then((b) => b.toString('utf8'))
        .catch(() => ''),
    (t) => t !== '',
    `the final marker of ${jobId}`,
  );
  return parseJobMarker(text, { jobId, source: 'main', status: 'final' });
}

describe('Python jobs through the whole pipeline', () => {
  it('python -m joblogs run: every printed line once in Elasticsearch and in the download file, for a job the Python launcher registered', async () => {
    const jobId = `py-run-${randomUUID().slice(0, 8)}`;
    // The launcher side of the Python client, read back by the TypeScript readers (the assembler decides from it).
    const registered = await runPython([
      '-c',
      `from joblogs.launcher import register_job; register_job(${JSON.stringify(jobId)}, owner="alice", team="vision", bucket=${JSON.stringify(stack.bucket)})`,
    ]).exited;
    expect(registered.code, registered.stderr.toString()).toBe(0);
    const registration = parseJobRegistration((await readObject(stack.s3, stack.bucket, registrationKey(jobId))).toString('utf8'), jobId);
    expect(registration).toMatchObject({ owner: 'alice', team: 'vision' });

    const dir = mkdtempSync(path.join(work, 'case-'));
    const printed = path.join(dir, 'printed');
    const run = await runPrinter(jobId, dir, 1500, { printed }).exited;
    expect(run.code, run.stderr.toString()).toBe(0);
    // Passed through unchanged.
    expect(run.stdout.toString('utf8')).toBe(readFileSync(printed, 'utf8'));
    expect(run.stderr.toString()).toMatch(/^joblogs: 1500 lines, \d+ bytes, (\d+) chunks \(\1 uploaded\), \d+ retries, \d+ spooled, 0 dropped, 0 conflicts\n$/);
    const chunks = await shippedChunks(jobId);
    const marker = await finalMarker(jobId);
    expect(marker).toMatchObject({
      lastSeq: chunks.length - 1,
      lineCount: 1500,
      droppedLines: 0,
      exitCode: 0,
      producer: expect.stringMatching(/^joblogs-python\//),
    });
    await endWithInvariant(
      { name: 'python-run', input: '`python -m joblogs run` around a Python job printing 1500 lines (job registered by joblogs.launcher.register_job)' },
      jobId,
      printedLines(printed),
    );
  });

  it('joblogs.capture(): Python, fd-level, child-process and traceback output, the exit code, once in Elasticsearch and in the download file', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `py-capture-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    const run = await runPython([path.join(work, 'train.py')], {
      env: { JOBLOGS_JOB_ID: jobId, JOBLOGS_BUCKET: stack.bucket, JOBLOGS_SPOOL_DIR: path.join(dir, 'spool') },
    }).exited;
    expect(run.code).toBe(1);
    const stderr = run.stderr.toString('utf8');
    const summary = /joblogs: \d+ lines, .*\n$/.exec(stderr)![0];
    expect(summary).toMatch(/^joblogs: \d+ lines, \d+ bytes, (\d+) chunks \(\1 uploaded\), \d+ retries, \d+ spooled, 0 dropped, 0 conflicts/);
    // What the process printed on each fd (the summary comes after the capture ended) is what was shipped, byte for byte.
    const chunks = await shippedChunks(jobId);
    const streams = reassembleStreams(chunks.flatMap((c) => c.frames));
    expect(streams.stdout.equals(run.stdout)).toBe(true);
    expect(streams.stderr.toString('utf8')).toBe(stderr.slice(0, -summary.length));
    expect(stderr).toContain('RuntimeError: loss diverged at step 400');
    expect(chunks.flatMap((c) => c.lines)).toEqual(
      expect.arrayContaining([
        'written to fd 1 directly, as CUDA and NCCL write',
        'from a child process that inherited fd 1',
        'Traceback (most recent call last):',
      ]),
    );
    const printed = chunks.flatMap((c) => c.lines);
    expect(summary.startsWith(`joblogs: ${printed.length} lines`)).toBe(true);
    expect(chunks.at(-1)!.metadata).toMatchObject({ final: 'true', 'exit-code': '1', 'line-count': String(printed.length) });
    expect(await finalMarker(jobId)).toMatchObject({ exitCode: 1, lineCount: printed.length, lastSeq: chunks.length - 1 });
    await endWithInvariant(
      { name: 'python-capture', input: '`joblogs.capture()` in a script printing from Python, fd 1, a child process and an unhandled exception (exit 1)' },
      jobId,
      printed,
    );
  });
});

describe('faults on the Python shipper, through the whole pipeline', () => {
  it('spools while S3 is unreachable mid-run and delivers once it is back: every line once', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `py-s3-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    const printed = path.join(dir, 'printed');
    s3Proxy.up();
    const run = runPrinter(jobId, dir, 800, { printed, endpoint: s3Proxy.url });
    try {
      await eventually(
        () => shippedChunks(jobId),
        (c) => c.length >= 1,
        'the first upload',
      );
      s3Proxy.down();
      await eventually(
        async () => spooled(path.join(dir, 'spool'), jobId),
        (n) => n >= 2,
        'chunks to wait in the spool',
      );
    } finally {
      s3Proxy.up();
    }
    const done = await run.exited;
    expect(done.code, done.stderr.toString()).toBe(0);
    const summary = /(\d+) retries, (\d+) spooled, 0 dropped, 0 conflicts/.exec(done.stderr.toString())!;
    expect(Number(summary[1])).toBeGreaterThan(0);
    await endWithInvariant(
      { name: 'python-s3-unreachable', input: 'S3 connections reset mid-run under `python -m joblogs run` (800 lines, flush 150 ms)' },
      jobId,
      printedLines(printed),
      `; ${summary[1]} failed upload attempt(s) retried, ${summary[2]} chunk(s) held back in the spool`,
    );
  });

  it("resumes a SIGKILLed shipper's spool on the next run with the same job: nothing it sealed lost, nothing twice", async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `py-kill-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    s3Proxy.down();
    const first = runPrinter(jobId, dir, 0, { printed: path.join(dir, 'printed-1'), endpoint: s3Proxy.url });
    await eventually(
      async () => spooled(path.join(dir, 'spool'), jobId),
      (n) => n >= 3,
      'chunks in the spool',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const left = spooled(path.join(dir, 'spool'), jobId);
    s3Proxy.up();
    const second = await runPrinter(jobId, dir, 50, { printed: path.join(dir, 'printed-2'), endpoint: s3Proxy.url }).exited;
    expect(second.code, second.stderr.toString()).toBe(0);
    expect(second.stderr.toString()).toContain(`resuming ${left} spooled chunk(s)`);
    // The first run's unsealed tail died with it: what it sealed is a prefix of what it printed.
    const shipped = (await shippedChunks(jobId)).flatMap((c) => c.lines);
    const secondPrinted = printedLines(path.join(dir, 'printed-2'));
    const ofFirst = shipped.length - secondPrinted.length;
    expect(ofFirst).toBeGreaterThan(0);
    await endWithInvariant(
      { name: 'python-sigkill-restart', input: '`python -m joblogs run` SIGKILLed with chunks spooled (S3 down), restarted with the same job and spool' },
      jobId,
      [...printedLines(path.join(dir, 'printed-1')).slice(0, ofFirst), ...secondPrinted],
      `; ${left} chunk(s) resumed from the spool, ${ofFirst} line(s) of the killed run delivered`,
    );
  });

  it('keeps chunks in memory when the spool cannot be written (every write fails) and delivers every line once', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `py-nospool-${randomUUID().slice(0, 8)}`);
    const dir = mkdtempSync(path.join(work, 'case-'));
    // RLIMIT_FSIZE makes every spool write past 512 bytes fail (EFBIG), as a full disk fails with ENOSPC, as root too:
    // every chunk (this printer's lines compress ~10:1, so a chunk sealed early on a busy machine may be
    // only a few KiB before gzip), never the spool's key.
    const limited = 'import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512)); os.execv(sys.executable, sys.argv[1:])';
    const args = [
      '-m',
      'joblogs',
      ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir: path.join(dir, 'spool') }, ['--max-chunk-bytes', '16384']),
      '--',
    ];
    const run = await runPython(['-c', limited, python, ...args, python, path.join(work, 'printer.py'), '-', '1200']).exited;
    expect(run.code, run.stderr.toString()).toBe(0);
    const errors = run.stderr
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('joblogs: spool error:'));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain('File too large');
    await endWithInvariant(
      {
        name: 'python-spool-unwritable',
        input: 'every spool write past 512 bytes fails (RLIMIT_FSIZE, as a full disk) under `python -m joblogs run` (1200 lines, 16 KiB chunks)',
      },
      jobId,
      // The shipper passes the job's output through unchanged: its stdout is what the job printed.
      run.stdout.toString('utf8').split('\n').slice(0, -1),
      `; ${errors.length} spool error(s) reported, the chunks uploaded from memory`,
    );
  });
});
