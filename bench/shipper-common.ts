/**
 * What the shipper benchmarks share: the `joblogs` bundle built from the current sources, the
 * printer fixture, spawning a measured command (wall time, peak RSS of a chosen Node process), and
 * the S3 side (a bucket of their own on moto, chunk verification).
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { buildCli } from '../cli/build.js';
import { ShipperDefaults } from '../shared/shipper/constants.js';
import type { ShipperSummary } from '../shared/shipper/types.js';
import { awsLocalEnv, readStackFile, type ProvisionedResources, type StackInfo } from '../scripts/local/stack-file.js';
import { stackIsUp } from '../test/support/stack.js';
import { BENCH_DIR, GENERATOR_VERSION, MB, REPO_ROOT, syntheticLog } from './synthetic-log.js';

export const PRINTER = path.join(REPO_ROOT, 'bench', 'log-printer.ts');
export const USAGE_PROBE = path.join(REPO_ROOT, 'bench', 'shipper-exit-usage.mjs');
/** The shipper's gzip level, so the baseline compresses exactly as hard. */
export const GZIP_LEVEL = ShipperDefaults.gzipLevel;

/** Bundles the CLI from the current sources into `.local/bench/` (never touches `dist/`). */
export async function buildJoblogs(): Promise<string> {
  return buildCli(path.join(BENCH_DIR, 'joblogs.mjs'));
}

export interface PrinterFixture {
  file: string;
  bytes: number;
  /** Lines the shipper must capture: `\n`, `\r\n` and lone `\r` each end one; plus an unterminated tail. */
  lines: number;
}

/** Lines as the shipper (and the chunk contract) count them. */
function countShipperLines(buf: Buffer, carry: { cr: boolean; tail: boolean }): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (carry.cr) {
      carry.cr = false;
      n++;
      if (b === 0x0a) {
        carry.tail = false;
        continue;
      }
    }
    if (b === 0x0a) {
      n++;
      carry.tail = false;
    } else if (b === 0x0d) {
      carry.cr = true;
      carry.tail = false;
    } else carry.tail = true;
  }
  return n;
}

/** The uncompressed synthetic log the printer dumps, generated once and cached with its line count. */
export async function printerFixture(mb: number, seed = 42): Promise<PrinterFixture> {
  const file = path.join(BENCH_DIR, `print-${mb}mb-seed${seed}-v${GENERATOR_VERSION}.log`);
  const meta = `${file}.json`;
  if (!existsSync(meta)) {
    console.error(`[bench] generating ${file}`);
    mkdirSync(BENCH_DIR, { recursive: true });
    await pipeline(Readable.from(syntheticLog({ seed, totalBytes: mb * MB })), createWriteStream(`${file}.partial`));
    renameSync(`${file}.partial`, file);
    const body = readFileSync(file);
    const carry = { cr: false, tail: false };
    let lines = countShipperLines(body, carry);
    if (carry.cr || carry.tail) lines++;
    writeFileSync(meta, JSON.stringify({ bytes: body.length, lines }));
  }
  const { bytes, lines } = JSON.parse(readFileSync(meta, 'utf8')) as { bytes: number; lines: number };
  return { file, bytes, lines };
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

/** The least a shipper must do: pass the job's output through to stdout and gzip it at the shipper's level (the result is dropped). */
const GZIP_CONSUMER = `
const zlib = require('node:zlib');
const gz = zlib.createGzip({ level: ${GZIP_LEVEL} });
let out = 0;
gz.on('data', (d) => (out += d.length));
process.stdin.on('data', (d) => {
  process.stdout.write(d);
  if (!gz.write(d)) { process.stdin.pause(); gz.once('drain', () => process.stdin.resume()); }
});
process.stdin.on('end', () => gz.end());
gz.on('end', () => process.stderr.write('gzip bytes ' + out + '\\n'));
`;

/**
 * `node log-printer.ts <printerArgs> | node -e <GZIP_CONSUMER>`, the consumer's stdout to
 * `stdoutFd`; resolves when both have exited, with the consumer's stderr.
 */
export async function gzipPipeline(printerArgs: string[], stdoutFd: number, files: { usageFile: string; printerReport: string }): Promise<Exited> {
  const [node, ...args] = printerCommand(printerArgs);
  const printer = spawn(node!, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_PRINTER_REPORT: files.printerReport } });
  const consumer = spawn(process.execPath, ['--import', USAGE_PROBE, '-e', GZIP_CONSUMER], {
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
  return spawn(
    process.execPath,
    [...nodeFlags, run.bundle, 'run', '--job-id', run.jobId, '--bucket', run.bucket, '--spool-dir', run.spoolDir, ...(run.extraArgs ?? []), '--', ...command],
    { cwd: REPO_ROOT, stdio, env: { ...base, ...awsLocalEnv(run.stack), ...(run.usageFile ? { BENCH_USAGE_FILE: run.usageFile } : {}), ...run.env } },
  );
}

/** `joblogs: 1000301 lines, … 0 dropped` → numbers; undefined when absent. */
export type SummaryLine = Omit<ShipperSummary, 'pending'>;

export function parseSummary(stderr: string): SummaryLine | undefined {
  const m = /joblogs: (\d+) lines, (\d+) bytes, (\d+) chunks \((\d+) uploaded\), (\d+) retries, (\d+) spooled, (\d+) dropped/.exec(stderr);
  if (!m) return undefined;
  const [lines, bytes, chunks, uploaded, retries, spooled, dropped] = m.slice(1).map(Number) as number[];
  return { lines: lines!, bytes: bytes!, chunks: chunks!, uploaded: uploaded!, retries: retries!, spooled: spooled!, dropped: dropped! };
}

export function s3For(stack: Pick<StackInfo, 'region' | 'moto'>): S3Client {
  return new S3Client({ region: stack.region, endpoint: stack.moto.url, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** A bucket with no event notification: nothing on the stack reacts to what lands there. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
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

/** Deletes every object under `prefix` (moto keeps objects in memory: a 200 MB round is not left there). */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys = await listKeys(s3, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
  }
}

/**
 * Empties the bucket but keeps it: after a DeleteBucket, moto's `/moto-api/data.json` (the stack's
 * health check) answers 500 (`MissingBucket`) for as long as that bucket's keys linger in memory,
 * and the next `stack.ts up` would then start a second moto.
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  await deletePrefix(s3, bucket, '');
}

export function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type ProvisionedStack = StackInfo & { resources: ProvisionedResources };

function stackScript(command: 'up' | 'down'): void {
  execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'scripts', 'stack.ts'), command], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

function bornAfter(pid: number, since: number): boolean {
  try {
    const ageS = Number(execFileSync('ps', ['-o', 'etimes=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Date.now() - ageS * 1000 >= since - 2000;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` on the local stack, as `indexer-e2e.ts` does: `scripts/stack.ts up` when it is not
 * up, and `down` afterwards only when both services are still the very processes this run started.
 */
export async function withLocalStack<T>(fn: (stack: ProvisionedStack) => Promise<T>): Promise<T> {
  let started: Array<{ name: 'elasticsearch' | 'moto'; pid: number }> = [];
  if (!(await stackIsUp())) {
    console.error('[bench] local stack not up: running scripts/stack.ts up');
    const before = Date.now();
    stackScript('up');
    const info = readStackFile()!;
    started = ([
      { name: 'elasticsearch', pid: info.elasticsearch.pid },
      { name: 'moto', pid: info.moto.pid },
    ] as const).filter((s) => bornAfter(s.pid, before));
  }
  try {
    const stack = readStackFile();
    if (!stack?.resources) throw new Error('scripts/stack.ts up did not provision the local stack');
    return await fn(stack as ProvisionedStack);
  } finally {
    const now = readStackFile();
    const stillOurs = started.length === 2 && now !== undefined && started.every(({ name, pid }) => now[name].pid === pid);
    if (stillOurs) {
      console.error('[bench] stopping the local stack this run started');
      stackScript('down');
    } else if (started.length > 0) {
      console.error('[bench] this run started part of the stack, but not all of it is still ours: leaving it up (`tsx scripts/stack.ts down` stops it)');
    }
  }
}
