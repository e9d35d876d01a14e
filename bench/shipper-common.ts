/**
 * What the shipper benchmarks share: the `joblogs` bundle built from the current sources, spawning
 * a measured command (wall time, peak RSS of a chosen Node process), and reading a job's chunks
 * back. The printer's fixture, the rounds, S3 and the stack come from testkit.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildCli } from '../cli/build.js';
import { ShipperDefaults } from '../shared/shipper/constants.js';
import type { ShipperSummary } from '../shared/shipper/types.js';
import { deletePrefix, emptyBucket, ensureBucket, listKeys, REPO_ROOT, shipperArgs } from '../testkit/index.js';
import { BENCH_DIR, machineNote, printerFixture, processCpuSeconds, requireNode24, type PrinterFixture } from '../testkit/bench/index.js';
import { awsLocalEnv, localS3Client, type MotoEndpoint, type StackInfo } from '../testkit/stack/index.js';

export const PRINTER = path.join(REPO_ROOT, 'bench', 'log-printer.ts');
export const USAGE_PROBE = path.join(REPO_ROOT, 'bench', 'shipper-exit-usage.mjs');
/** The shipper's gzip level, so the baseline compresses exactly as hard. */
export const GZIP_LEVEL = ShipperDefaults.gzipLevel;

/** Bundles the CLI from the current sources into `.local/bench/` (never touches `dist/`). */
export async function buildJoblogs(): Promise<string> {
  return buildCli(path.join(BENCH_DIR, 'joblogs.mjs'));
}

export interface Usage {
  maxRssKb: number;
  userUs: number;
  systemUs: number;
}

export function readUsage(file: string): Usage {
  return JSON.parse(readFileSync(file, 'utf8')) as Usage;
}

export interface PrinterReport {
  startedAt: number;
  endedAt: number;
  bytes: number;
  lines: number;
}

export function readPrinterReport(file: string): PrinterReport {
  return JSON.parse(readFileSync(file, 'utf8')) as PrinterReport;
}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Resolves when the process has exited and its stderr is drained; rejects on a non-zero exit. */
export function exited(child: ChildProcess, what: string): Promise<Exited> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code ?? signal}:\n${stderr.slice(-3000)}`));
      else resolve({ code, signal, stderr });
    });
  });
}

/** stdout to a file (or /dev/null), stderr captured. */
export function stdioTo(file: string): { fd: number; stdio: StdioOptions; close(): void } {
  const fd = openSync(file, 'w');
  return { fd, stdio: ['ignore', fd, 'pipe'], close: () => closeSync(fd) };
}

/** `node <printer> …`, as the job. */
export function printerCommand(args: string[]): string[] {
  return [process.execPath, PRINTER, ...args];
}

/** The least a shipper must do: pass the job's output through to stdout and gzip it at `level` (the result is dropped). */
function gzipConsumer(level: number): string {
  return `
const zlib = require('node:zlib');
const gz = zlib.createGzip({ level: ${level} });
let out = 0;
gz.on('data', (d) => (out += d.length));
process.stdin.on('data', (d) => {
  process.stdout.write(d);
  if (!gz.write(d)) { process.stdin.pause(); gz.once('drain', () => process.stdin.resume()); }
});
process.stdin.on('end', () => gz.end());
gz.on('end', () => process.stderr.write('gzip bytes ' + out + '\\n'));
`;
}

/**
 * The same, and the output to S3 as a shipper sends it: the job's bytes cut into pieces of
 * `pieceBytes`, each gzipped on its own (zlib's thread pool, as the shipper's chunks are) and PUT as
 * one object under `url` (`<moto>/<bucket>/<prefix>`, plain `node:http` with keep-alive, unsigned:
 * moto does not check signatures), at most `inFlight` PUTs at a time (the job's pipe paused
 * meanwhile). No framing, no spool, no scrubbing: what S3 itself costs a shipper, and the S3
 * server on the same machine, and no more.
 */
function gzipS3Consumer(level: number, s3: GzipToS3): string {
  return `
const zlib = require('node:zlib');
const http = require('node:http');
const { promisify } = require('node:util');
const gzip = promisify(zlib.gzip);
const agent = new http.Agent({ keepAlive: true, maxSockets: ${s3.inFlight} });
const url = ${JSON.stringify(s3.url)};
let piece = [], pieceBytes = 0, seq = 0, inFlight = 0, out = 0, ended = false;
function put(key, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(key, { method: 'PUT', agent, headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('PUT ' + key + ': HTTP ' + res.statusCode))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
function send(raw) {
  inFlight++;
  const key = url + '/' + String(seq++).padStart(8, '0') + '.gz';
  gzip(raw, { level: ${level} })
    .then((body) => { out += body.length; return put(key, body); })
    .then(() => { inFlight--; process.stdin.resume(); if (ended && inFlight === 0) done(); })
    .catch((e) => { console.error(e); process.exit(1); });
  if (inFlight >= ${s3.inFlight}) process.stdin.pause();
}
function cut() { if (pieceBytes > 0) send(Buffer.concat(piece, pieceBytes)); piece = []; pieceBytes = 0; }
function done() { agent.destroy(); process.stderr.write('gzip bytes ' + out + '\\nobjects ' + seq + '\\n'); }
process.stdin.on('data', (d) => {
  process.stdout.write(d);
  for (let at = 0; at < d.length; ) {
    const take = Math.min(d.length - at, ${s3.pieceBytes} - pieceBytes);
    piece.push(d.subarray(at, at + take)); pieceBytes += take; at += take;
    if (pieceBytes === ${s3.pieceBytes}) cut();
  }
});
process.stdin.on('end', () => { ended = true; cut(); if (inFlight === 0) done(); });
`;
}

/** Where {@link gzipPipeline} also PUTs its output, and how. */
export interface GzipToS3 {
  /** `<moto url>/<bucket>/<prefix>`: objects are `<url>/00000000.gz`, … */
  url: string;
  pieceBytes: number;
  inFlight: number;
}

/**
 * `node log-printer.ts <printerArgs> | node -e <gzip consumer>`, gzip at `level` (default: the
 * shipper's), the consumer's stdout to `stdoutFd`; resolves when both have exited, with the
 * consumer's stderr. With `s3`, the consumer also PUTs its output (see {@link gzipS3Consumer}).
 */
export async function gzipPipeline(
  printerArgs: string[],
  stdoutFd: number,
  files: { usageFile: string; printerReport: string },
  level: number = GZIP_LEVEL,
  s3?: GzipToS3,
): Promise<Exited> {
  const [node, ...args] = printerCommand(printerArgs);
  const printer = spawn(node!, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_PRINTER_REPORT: files.printerReport } });
  const consumer = spawn(process.execPath, ['--import', USAGE_PROBE, '-e', s3 ? gzipS3Consumer(level, s3) : gzipConsumer(level)], {
    stdio: [printer.stdout!, stdoutFd, 'pipe'],
    env: { ...process.env, BENCH_USAGE_FILE: files.usageFile },
  });
  // The consumer has its own copy of the pipe; ours would keep the printer's 'close' from firing.
  printer.stdout!.destroy();
  const [, done] = await Promise.all([exited(printer, 'printer'), exited(consumer, 'gzip consumer')]);
  return done;
}

export interface JoblogsRun {
  bundle: string;
  jobId: string;
  bucket: string;
  spoolDir: string;
  stack: Pick<StackInfo, 'region' | 'moto'>;
  usageFile?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
}

/** `node [--import usage probe] joblogs.mjs run … -- <command>`, with the stack's AWS settings. */
export function spawnJoblogs(run: JoblogsRun, command: string[], stdio: StdioOptions): ChildProcess {
  const { TRACEPARENT: _inherited, ...base } = process.env;
  const nodeFlags = run.usageFile ? ['--import', USAGE_PROBE] : [];
  return spawn(process.execPath, [...nodeFlags, run.bundle, ...shipperArgs('run', run, run.extraArgs), '--', ...command], {
    cwd: REPO_ROOT,
    stdio,
    env: { ...base, ...awsLocalEnv(run.stack), ...(run.usageFile ? { BENCH_USAGE_FILE: run.usageFile } : {}), ...run.env },
  });
}

/** `joblogs: 1000301 lines, … 0 dropped` → numbers; undefined when absent. */
export type SummaryLine = Omit<ShipperSummary, 'pending' | 'conflicts' | 'redactions'>;

export function parseSummary(stderr: string): SummaryLine | undefined {
  const m = /joblogs: (\d+) lines, (\d+) bytes, (\d+) chunks \((\d+) uploaded\), (\d+) retries, (\d+) spooled, (\d+) dropped/.exec(stderr);
  if (!m) return undefined;
  const [lines, bytes, chunks, uploaded, retries, spooled, dropped] = m.slice(1).map(Number) as number[];
  return { lines: lines!, bytes: bytes!, chunks: chunks!, uploaded: uploaded!, retries: retries!, spooled: spooled!, dropped: dropped! };
}

export interface UploadedJob {
  chunks: number;
  /** Frames in every chunk (one per captured line). */
  frames: number;
  gzipBytes: number;
  /** `line-count` of the final chunk. */
  finalLineCount: number | undefined;
}

/** Reads back every chunk of a job: seqs must be 0…n-1, the last one final. */
export async function verifyUpload(s3: S3Client, bucket: string, jobId: string): Promise<UploadedJob> {
  const keys = await listKeys(s3, bucket, `chunks/v1/${jobId}/main/`);
  keys.forEach((key, i) => {
    if (!key.endsWith(`/${String(i).padStart(10, '0')}.log.gz`)) throw new Error(`chunk ${i} of ${jobId} is missing (found ${key})`);
  });
  let frames = 0;
  let gzipBytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
      gzipBytes += body.length;
      const text = gunzipSync(body);
      for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, i + 1)) frames++;
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  const last = keys.at(-1);
  const head = last ? await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: last })) : undefined;
  if (head?.Metadata?.['final'] !== 'true') throw new Error(`the last chunk of ${jobId} (${last}) is not final`);
  const lineCount = head.Metadata['line-count'];
  return { chunks: keys.length, frames, gzipBytes, finalLineCount: lineCount === undefined ? undefined : Number(lineCount) };
}

export function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a throughput or overhead run works with. */
export interface ShipperBench {
  fixture: PrinterFixture;
  /** The CLI bundled from the current sources. */
  bundle: string;
  work: string;
  s3: S3Client;
}

/**
 * The setting of a shipper benchmark: the printer's fixture, the CLI built from the current
 * sources, a work folder and a bucket of its own on moto (emptied and the folder removed afterwards).
 */
export async function withShipperBench<T>(
  stack: StackInfo,
  o: { name: string; bucket: string; mb: number },
  fn: (bench: ShipperBench) => Promise<T>,
): Promise<T> {
  requireNode24();
  const fixture = await printerFixture(o.mb);
  const bundle = await buildJoblogs();
  const work = freshDir(path.join(BENCH_DIR, o.name));
  const s3 = localS3Client(stack);
  await ensureBucket(s3, o.bucket);
  console.log(`# ${o.name.replace('-', ' ')} benchmark — ${machineNote()}`);
  try {
    return await fn({ fixture, bundle, work, s3 });
  } finally {
    await emptyBucket(s3, o.bucket).catch((error: Error) => console.error(`[bench] could not empty s3://${o.bucket}: ${error.message}`));
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

/** What a finished `joblogs run` of a benchmark left: its time, resource use, summary line and uploaded chunks. */
export interface FinishedRun {
  ms: number;
  stderr: string;
  usage: Usage;
  summary: SummaryLine | undefined;
  uploaded: UploadedJob;
  s3: S3Client;
  /** CPU seconds moto spent from `o.motoCpu.atStart` to the run's exit (with `o.motoCpu`). */
  motoCpuS?: number;
}

/**
 * Waits for a `joblogs run` started at `started` (performance.now()), reads back what it uploaded and
 * hands all of it to `inspect`; the job's chunks are deleted afterwards, whatever `inspect` does.
 */
export async function finishShipperRun<T>(
  child: ChildProcess,
  o: {
    started: number;
    out: { close(): void };
    usageFile: string;
    moto: MotoEndpoint;
    bucket: string;
    jobId: string;
    /** moto's process and its CPU seconds when the run started ({@link processCpuSeconds}). */
    motoCpu?: { pid: number; atStart: number };
  },
  inspect: (run: FinishedRun) => Promise<T> | T,
): Promise<T> {
  const done = await exited(child, 'joblogs run');
  const ms = performance.now() - o.started;
  const motoCpuS = o.motoCpu && processCpuSeconds(o.motoCpu.pid) - o.motoCpu.atStart;
  o.out.close();
  const usage = readUsage(o.usageFile);
  const summary = parseSummary(done.stderr);
  const s3 = localS3Client(o.moto);
  try {
    const uploaded = await verifyUpload(s3, o.bucket, o.jobId);
    return await inspect({ ms, stderr: done.stderr, usage, summary, uploaded, s3, motoCpuS });
  } finally {
    await deletePrefix(s3, o.bucket, `chunks/v1/${o.jobId}/`);
    s3.destroy();
  }
}
