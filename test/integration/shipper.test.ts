/**
 * The `joblogs` bin (the esbuild bundle, spawned as a real process) on the local stack: real
 * child processes, real S3 (moto), and for the end-to-end case the real indexer and
 * Elasticsearch. Cases (a) and (b) write under a prefix the bucket notification ignores, so
 * their million lines never reach the chunk queue.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { buildCli } from '../../cli/build.js';
import { decodeFrames, parseTraceparent, reassembleStreams, type Frame } from '../../shared/core/contract/index.js';
import { countJobDocuments, eventually, jobDocuments, readGzipObjects, shipperArgs, startFaultProxy, type FaultProxy } from '../../testkit/index.js';
import { awsLocalEnv, isOurProcess, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { producerCredentials } from '../../shared/launcher/index.js';
import { ShipperDefaults } from '../../shared/shipper/index.js';

const TEST_PREFIX = 'shipper-it/';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let stack: LocalStack;
let bin: string;
let work: string;

/** The child every case runs: deterministic output, and a copy of exactly what it printed. */
const CHILD = String.raw`
import { renameSync, writeFileSync } from 'node:fs';
const [mode, outDir] = process.argv.slice(2);
const printed = { stdout: [], stderr: [] };
const put = (stream, data) => {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  printed[stream].push(bytes);
  (stream === 'stdout' ? process.stdout : process.stderr).write(bytes);
};
// Written aside and renamed: a test reading a copy while the child writes must never see it half written.
const save = () => {
  for (const stream of ['stdout', 'stderr']) {
    writeFileSync(outDir + '/printed.' + stream + '.tmp', Buffer.concat(printed[stream]));
    renameSync(outDir + '/printed.' + stream + '.tmp', outDir + '/printed.' + stream);
  }
};
if (mode === 'mixed') {
  put('stdout', 'TRACEPARENT=' + process.env.TRACEPARENT + '\n');
  for (let block = 0; block < 100; block++) {
    let lines = '';
    for (let i = block * 10000; i < (block + 1) * 10000; i++) lines += 'line ' + i + '\n';
    put('stdout', lines);
    put('stderr', 'stderr after block ' + block + '\r\n');
    if (block === 50) {
      put('stdout', Buffer.concat([Buffer.from('long:'), Buffer.alloc(5 * 1024 * 1024, 'é'), Buffer.from('\n')]));
      put('stderr', Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x80, 0x0a]));
      put('stdout', 'progress 10%\rprogress 50%\rprogress 100%\r\n');
      put('stdout', '\uFEFFbom line\n');
    }
  }
  put('stdout', 'last line without newline');
  put('stderr', 'stderr also ends abruptly');
  save();
  process.exitCode = 3;
} else if (mode === 'sigterm') {
  process.on('SIGTERM', () => {
    put('stdout', 'child got SIGTERM\n');
    save();
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
  });
  put('stdout', 'ready\n');
  setInterval(() => {}, 1000);
} else if (mode === 'slow') {
  const total = Number(process.argv[4]);
  let i = 0;
  process.stdout.on('error', () => process.exit(0));
  const timer = setInterval(() => {
    put('stdout', 'slow line ' + i + '\n');
    save();
    if (++i === total) clearInterval(timer);
  }, 10);
} else if (mode === 'e2e') {
  put('stdout', 'Starting training run\n');
  put('stdout', '{"level":30,"time":1795600000123,"msg":"checkpoint saved","step":100}\n');
  put('stderr', 'WARNING: loss is nan\n');
  put('stdout', Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a]));
  put('stdout', 'done, no newline');
  save();
}
`;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

interface Running {
  pid: number;
  result: Promise<Result>;
  stdoutText(): string;
  kill(signal: NodeJS.Signals): void;
}

function joblogs(args: string[], env: Record<string, string | undefined> = {}, endpoint = stack.info.moto.url): Running {
  const { TRACEPARENT: _inherited, ...base } = process.env;
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...base, ...awsLocalEnv(stack.info), AWS_ENDPOINT_URL: endpoint, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  return {
    pid: child.pid!,
    result: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }))),
    stdoutText: () => Buffer.concat(out).toString(),
    kill: (signal) => child.kill(signal),
  };
}

/** `run` with the job, this suite's bucket and `spoolDir`, then `flags`. */
function runArgs(jobId: string, spoolDir: string, flags: string[] = []): string[] {
  return shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir }, flags);
}

interface StoredChunk {
  key: string;
  seq: number;
  metadata: Record<string, string>;
  frames: Frame[];
}

async function chunksOf(jobId: string, prefix = TEST_PREFIX): Promise<StoredChunk[]> {
  const objects = await readGzipObjects(stack.s3, stack.bucket, `${prefix}v1/${jobId}/`);
  return objects.map(({ key, metadata, text }) => ({ key, seq: Number(key.slice(-17, -7)), metadata, frames: decodeFrames(text) }));
}

function caseDir(): string {
  return mkdtempSync(path.join(work, 'case-'));
}

const spooled = (spoolDir: string, jobId: string) => {
  const dir = path.join(spoolDir, jobId, 'main');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.chunk')) : [];
};

beforeAll(async () => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-shipper-it-'));
  bin = await buildCli(path.join(work, 'joblogs.mjs'));
  writeFileSync(path.join(work, 'child.mjs'), CHILD);
});

afterAll(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const child = (mode: string, dir: string, ...rest: string[]) => [process.execPath, path.join(work, 'child.mjs'), mode, dir, ...rest];

describe('joblogs run on real S3', () => {
  it("passes a child's output through unchanged and ships every byte of both streams, in order (1M lines, a 5 MB line, binary, no final newline)", async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const run = joblogs([...runArgs(jobId, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX]), '--', ...child('mixed', dir)], { TRACEPARENT });
    const result = await run.result;
    const printedOut = readFileSync(path.join(dir, 'printed.stdout'));
    const printedErr = readFileSync(path.join(dir, 'printed.stderr'));

    expect(result.code).toBe(3);
    // Passed through unchanged; joblogs adds only its summary line after the child's stderr.
    expect(result.stdout.equals(printedOut)).toBe(true);
    expect(result.stderr.subarray(0, printedErr.length).equals(printedErr)).toBe(true);
    const summary = result.stderr.subarray(printedErr.length).toString();
    expect(summary).toMatch(/^joblogs: \d+ lines, \d+ bytes, \d+ chunks \(\d+ uploaded\), 0 retries, 0 spooled, 0 dropped\n$/);

    const chunks = await chunksOf(jobId);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const frames = chunks.flatMap((c) => c.frames);
    expect(frames.length).toBeGreaterThan(1_000_000);
    expect(frames.map((f) => f.line)).toEqual(frames.map((_, i) => i));
    const streams = reassembleStreams(frames);
    expect(streams.stdout.length).toBe(printedOut.length);
    expect(streams.stdout.equals(printedOut)).toBe(true);
    expect(streams.stderr.equals(printedErr)).toBe(true);
    // The binary stderr line travelled as base64, the 5 MB line as continuation parts.
    expect(frames.some((f) => f.stream === 'stderr' && f.bytes.includes(0xff))).toBe(true);
    expect(frames.filter((f) => f.terminator === '').length).toBeGreaterThan(20);

    const final = chunks.at(-1)!;
    expect(chunks.filter((c) => c.metadata['final'] === 'true')).toEqual([final]);
    expect(final.metadata).toMatchObject({ final: 'true', 'exit-code': '3', 'line-count': String(frames.length), 'dropped-lines': '0' });
    for (const c of chunks)
      expect(c.metadata).toMatchObject({ format: 'framed-v1', traceparent: TRACEPARENT, producer: expect.stringMatching(/^joblogs-shipper\//) });
    expect(printedOut.toString('latin1').startsWith(`TRACEPARENT=${TRACEPARENT}\n`)).toBe(true);
    expect(summary).toContain(`${frames.length} lines, ${printedOut.length + printedErr.length} bytes, ${chunks.length} chunks (${chunks.length} uploaded)`);
  });

  it('generates a TRACEPARENT when there is none and gives the same one to the child and the chunks', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const result = await joblogs([
      ...runArgs(jobId, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX]),
      '--',
      process.execPath,
      '-e',
      'console.log(process.env.TRACEPARENT)',
    ]).result;
    expect(result.code).toBe(0);
    const seen = result.stdout.toString().trim();
    expect(parseTraceparent(seen)).toBeDefined();
    const chunks = await chunksOf(jobId);
    expect(chunks.map((c) => c.metadata['traceparent'])).toEqual([seen]);
    expect(chunks[0]!.frames.map((f) => f.bytes.toString())).toEqual([seen]);
  });

  it('forwards SIGTERM to the child, flushes, and exits 128+15', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const run = joblogs([...runArgs(jobId, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX]), '--', ...child('sigterm', dir)]);
    await eventually(
      () => run.stdoutText(),
      (t) => t.includes('ready\n'),
      'the child to start',
    );
    run.kill('SIGTERM');
    const result = await run.result;
    expect(result.code).toBe(143);
    expect(result.stdout.toString()).toBe('ready\nchild got SIGTERM\n');
    const chunks = await chunksOf(jobId);
    expect(chunks.flatMap((c) => c.frames.map((f) => f.bytes.toString()))).toEqual(['ready', 'child got SIGTERM']);
    expect(chunks.at(-1)!.metadata).toMatchObject({ final: 'true', signal: 'SIGTERM', 'line-count': '2' });
  });

  it('exits 127 when the command does not exist, and 2 when the bucket does not', async () => {
    const dir = caseDir();
    const missing = await joblogs([
      ...runArgs(`ship-${randomUUID().slice(0, 8)}`, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX]),
      '--',
      'no-such-command-joblogs',
    ]).result;
    expect(missing.code).toBe(127);
    expect(missing.stderr.toString()).toContain('cannot run no-such-command-joblogs');
    const badBucket = await joblogs([...shipperArgs('run', { jobId: 'j', bucket: 'no-such-bucket-joblogs', spoolDir: path.join(dir, 'spool') }), '--', 'true'])
      .result;
    expect(badBucket.code).toBe(2);
    expect(badBucket.stderr.toString()).toBe('joblogs: bucket no-such-bucket-joblogs does not exist\n');
  });
});

describe('joblogs run as the launcher starts it', () => {
  it("ships with the credentials and the stage's idle flush interval the launcher hands the job (STS on the stack)", async () => {
    const jobId = `launch-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    // As a launcher gets it from the stack output ShipperIdleFlushIntervalMs: a string (not the shippers' default, so it shows).
    const stageInterval = '45000';
    expect(Number(stageInterval)).not.toBe(ShipperDefaults.idleFlushIntervalMs);
    const sts = new STSClient({ endpoint: stack.info.moto.url, region: stack.info.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const env = await producerCredentials({
      sts,
      roleArn: `arn:aws:iam::${stack.info.accountId}:role/joblogs-producer`,
      jobId,
      bucket: stack.bucket,
      idleFlushIntervalMs: stageInterval,
    });
    sts.destroy();
    expect(env).toMatchObject({ JOBLOGS_JOB_ID: jobId, JOBLOGS_BUCKET: stack.bucket, JOBLOGS_IDLE_FLUSH_INTERVAL_MS: stageInterval });
    expect(env['AWS_ACCESS_KEY_ID']).not.toBe('test');

    // No --job-id, --bucket or interval on the command line: the launcher's environment says it all.
    const run = joblogs(
      ['run', '--spool-dir', path.join(dir, 'spool'), '--prefix', TEST_PREFIX, '--fresh-start', '300', '--verbose', '--', ...child('slow', dir, '100')],
      env,
    );
    const { code, stderr } = await run.result;
    expect(code).toBe(0);
    // Once the fresh start is over and the signal says nobody watches, chunks wait the stage's interval.
    expect(stderr.toString()).toContain(`joblogs: sealing chunks every ${stageInterval} ms (unwatched)`);
    const chunks = await chunksOf(jobId);
    expect(chunks.at(-1)!.metadata['final']).toBe('true');
    expect(reassembleStreams(chunks.flatMap((c) => c.frames)).stdout).toEqual(readFileSync(path.join(dir, 'printed.stdout')));
  });
});

describe('joblogs run: the process around the job', () => {
  it("runs the job without joblogs's own node flags, in its argv or NODE_OPTIONS", async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const script = path.join(dir, 'flags.mjs');
    writeFileSync(script, 'console.log(JSON.stringify({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? null }))');
    const result = await joblogs([...runArgs(jobId, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX]), '--', process.execPath, script]).result;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toEqual({ execArgv: [], nodeOptions: null });
  });

  it('finishes soon after the job exits even when a process the job started keeps its output open', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const pidFile = path.join(dir, 'daemon.pid');
    const result = await joblogs([
      ...runArgs(jobId, path.join(dir, 'spool'), ['--prefix', TEST_PREFIX, '--pipe-close-timeout', '500']),
      '--',
      'sh',
      '-c',
      `sleep 30 & echo $! > ${pidFile}; echo "started a daemon"; exit 5`,
    ]).result;
    expect(result.code).toBe(5);
    // joblogs is done while the daemon still holds the output open: it did not wait for it.
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    expect(isOurProcess(daemon, 'sleep')).toBe(true);
    process.kill(daemon);
    expect(result.stderr.toString()).toContain('exited but its output is still open');
    const chunks = await chunksOf(jobId);
    expect(chunks.flatMap((c) => c.frames.map((f) => f.bytes.toString()))).toEqual(['started a daemon']);
    expect(chunks.at(-1)!.metadata).toMatchObject({ final: 'true', 'exit-code': '5' });
  });

  it('refuses to start a second shipper on the same job, source and spool while one runs (exit 2, job not started)', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const spoolDir = path.join(dir, 'spool');
    const first = joblogs([...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX]), '--', ...child('sigterm', dir)]);
    await eventually(
      () => first.stdoutText(),
      (t) => t.includes('ready\n'),
      'the first job to start',
    );
    const second = await joblogs([...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX]), '--', process.execPath, '-e', 'console.log("second job ran")'])
      .result;
    expect(second.code).toBe(2);
    expect(second.stdout.toString()).toBe('');
    expect(second.stderr.toString()).toMatch(
      new RegExp(`^joblogs: Spool directory .*${jobId}.* is in use by another joblogs shipper \\(pid ${first.pid} on .*\\)`),
    );
    first.kill('SIGTERM');
    expect((await first.result).code).toBe(143);
    // Released at exit: the next run starts.
    const third = await joblogs([...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX]), '--', 'true']).result;
    expect(third.code).toBe(0);
  });
});

describe('joblogs pipe and follow on real S3', () => {
  it('ships standard input and copies it to standard output', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const { TRACEPARENT: _inherited, ...base } = process.env;
    const input = Buffer.concat([Buffer.from('from a pipe\r\nsecond\n'), Buffer.from([0xc3, 0x28]), Buffer.from(' tail')]);
    const piped = spawn(
      process.execPath,
      [bin, ...shipperArgs('pipe', { jobId, bucket: stack.bucket, spoolDir: path.join(dir, 'spool') }, ['--prefix', TEST_PREFIX])],
      {
        env: { ...base, ...awsLocalEnv(stack.info) },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    piped.stdout.on('data', (d: Buffer) => out.push(d));
    piped.stdin.end(input);
    const [code] = await once(piped, 'close');
    expect(code).toBe(0);
    expect(Buffer.concat(out).equals(input)).toBe(true);
    const chunks = await chunksOf(jobId);
    expect(reassembleStreams(chunks.flatMap((c) => c.frames)).stdout.equals(input)).toBe(true);
    expect(chunks.at(-1)!.metadata).toMatchObject({ final: 'true', 'line-count': '3' });
  });

  it("follows a Docker json-file log across a rotation, keeping each line's stream and time, until SIGTERM", async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const log = path.join(dir, 'container-json.log');
    const record = (log: string, stream: string, time: string) => `${JSON.stringify({ log, stream, time })}\n`;
    writeFileSync(log, record('starting\n', 'stdout', '2026-11-25T10:00:00.100000000Z') + record('a warning\n', 'stderr', '2026-11-25T10:00:00.200000000Z'));
    const flags = ['--docker-json', '--poll-interval', '20', '--flush-interval', '100', '--prefix', TEST_PREFIX, log];
    const run = joblogs(shipperArgs('follow', { jobId, bucket: stack.bucket, spoolDir: path.join(dir, 'spool') }, flags));
    await eventually(
      () => chunksOf(jobId),
      (c) => c.flatMap((x) => x.frames).length === 2,
      'the existing lines',
    );
    renameSync(log, `${log}.1`);
    writeFileSync(log, record('after rotation\n', 'stdout', '2026-11-25T10:00:01.000000000Z'));
    await eventually(
      () => chunksOf(jobId),
      (c) => c.flatMap((x) => x.frames).length === 3,
      'the line after rotation',
    );
    run.kill('SIGTERM');
    const result = await run.result;
    expect(result.code).toBe(143);
    const frames = (await chunksOf(jobId)).flatMap((c) => c.frames);
    expect(frames.map((f) => [f.stream, f.bytes.toString(), new Date(f.time).toISOString()])).toEqual([
      ['stdout', 'starting', '2026-11-25T10:00:00.100Z'],
      ['stderr', 'a warning', '2026-11-25T10:00:00.200Z'],
      ['stdout', 'after rotation', '2026-11-25T10:00:01.000Z'],
    ]);
  });
});

describe('joblogs run when S3 fails', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(stack.info.moto.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('spools while S3 is unreachable mid-run and then delivers every line exactly once, in order', async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const spoolDir = path.join(dir, 'spool');
    proxy.up();
    const run = joblogs([...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX, '--flush-interval', '200']), '--', ...child('slow', dir, '600')], {}, proxy.url);
    try {
      await eventually(
        () => chunksOf(jobId),
        (c) => c.length >= 2,
        'the first uploads',
      );
      proxy.down();
      await eventually(
        () => spooled(spoolDir, jobId).length,
        (n) => n >= 3,
        'chunks to pile up in the spool',
      );
    } finally {
      proxy.up();
    }
    const result = await run.result;
    expect(result.code).toBe(0);
    const chunks = await chunksOf(jobId);
    const lines = chunks.flatMap((c) => c.frames.map((f) => f.bytes.toString()));
    expect(lines).toEqual(Array.from({ length: 600 }, (_, i) => `slow line ${i}`));
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(result.stderr.toString()).toMatch(/joblogs: 600 lines, .* [1-9]\d* retries, [1-9]\d* spooled, 0 dropped\n$/);
    expect(spooled(spoolDir, jobId)).toEqual([]);
  });

  it("resumes a SIGKILLed shipper's spool on the next run with the same job: no duplicates, no seq reused", async () => {
    const jobId = `ship-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const spoolDir = path.join(dir, 'spool');
    proxy.down();
    const first = joblogs(
      [...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX, '--flush-interval', '100']), '--', ...child('slow', dir, '100000')],
      {},
      proxy.url,
    );
    await eventually(
      () => spooled(spoolDir, jobId).length,
      (n) => n >= 4,
      'chunks in the spool',
    );
    first.kill('SIGKILL');
    await first.result;
    const printedByFirst = readFileSync(path.join(dir, 'printed.stdout'), 'utf8').split('\n').filter(Boolean);
    const left = spooled(spoolDir, jobId).length;
    proxy.up();

    const second = await joblogs(
      [...runArgs(jobId, spoolDir, ['--prefix', TEST_PREFIX]), '--', process.execPath, '-e', 'console.log("second run")'],
      {},
      proxy.url,
    ).result;
    expect(second.code).toBe(0);
    expect(second.stderr.toString()).toContain(`resuming ${left} spooled chunk(s)`);
    const chunks = await chunksOf(jobId);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.length).toBe(left + 1);
    const frames = chunks.flatMap((c) => c.frames);
    expect(frames.map((f) => f.line)).toEqual(frames.map((_, i) => i));
    const texts = frames.map((f) => f.bytes.toString());
    // What was spooled before the kill is a prefix of what the child printed (the unsealed tail died with the process).
    expect(texts.at(-1)).toBe('second run');
    expect(texts.slice(0, -1)).toEqual(printedByFirst.slice(0, texts.length - 1));
    expect(chunks.at(-1)!.metadata).toMatchObject({ final: 'true', 'exit-code': '0', 'line-count': String(frames.length) });
    expect(spooled(spoolDir, jobId)).toEqual([]);
  });
});

describe('joblogs run through the ingest path', () => {
  const DATA_STREAM = 'logs-mlplatform.job-local';
  let indexer: LocalPipeline;

  beforeAll(async () => {
    indexer = await startLocalPipeline({ stack, indexer: quickIndexer(), purge: true });
  });

  afterAll(async () => {
    await indexer?.stop();
  });

  it('turns lines printed under joblogs run into Elasticsearch documents, in printed order, with stream and trace', async () => {
    const jobId = `ship-e2e-${randomUUID().slice(0, 8)}`;
    const dir = caseDir();
    const result = await joblogs([...runArgs(jobId, path.join(dir, 'spool'), ['--service', 'trainer']), '--', ...child('e2e', dir)], { TRACEPARENT }).result;
    expect(result.code).toBe(0);

    const count = () => countJobDocuments(stack, DATA_STREAM, jobId);
    await eventually(count, (c) => c >= 5, 'the lines to be searchable');
    expect(await count()).toBe(5);
    const docs = (await jobDocuments(stack, DATA_STREAM, jobId)).map((d) => d._source);
    // Each stream keeps its printed order; across two pipes the interleaving is the reader's.
    const messages = (stream: string) => docs.filter((d) => d.joblogs.stream === stream).map((d) => d.message);
    expect(messages('stdout')).toEqual(['Starting training run', 'checkpoint saved', 'bad\uFFFD', 'done, no newline']);
    expect(messages('stderr')).toEqual(['WARNING: loss is nan']);
    expect(docs[0]).toMatchObject({ trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' }, service: { name: 'trainer' }, labels: { job_id: jobId } });
    const byMessage = Object.fromEntries(docs.map((d) => [d.message, d]));
    expect(byMessage['checkpoint saved']).toMatchObject({ log: { level: 'info' }, json: { step: 100 } });
    expect(byMessage['WARNING: loss is nan'].log.level).toMatch(/^warn/);
    expect(byMessage['bad\uFFFD'].tags).toContain('invalid_utf8');
  });
});
