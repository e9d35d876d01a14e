/**
 * The Python client (clients/python) against baselines measured in the same run, on the local
 * stack's moto. The measured processes are bench/python-shipper.py's (each reports its own peak
 * RSS, VmHWM, and CPU time when it exits).
 *
 * 1. `throughput` — the same ≥ 200 MiB job output (`node log-printer.ts dump <fixture>`, as in
 *    shipper-throughput.ts) consumed by
 *    - `gzip`            a bare zlib gzip pass-through at the shipper's level (the baseline),
 *    - `joblogs-node`    the Node CLI (`joblogs.mjs run`, built from the current sources),
 *    - `joblogs-python`  `python -m joblogs run`;
 *    the clock stops when the consumer exits (after the final chunk is uploaded); every shipper
 *    round's chunks are read back (seqs 0…n-1, frames = lines printed = the final line-count).
 *    Peak RSS is the consumer's. Python's ratio to the Node CLI is taken round by round too.
 * 2. `capture` — a training loop printing one ~1 KiB line per ~1 ms step (~1 MiB/s):
 *    - `loop`            alone (the baseline),
 *    - `loop+capture`    with `joblogs.capture()` as its first statement;
 *    slowdown of the wall time (spawn to exit, i.e. including the final upload) and of the loop's
 *    own time, and the peak RSS capture adds to the job's process.
 *
 *   tsx bench/python-shipper.ts [--rounds 3] [--mb 200] [--steps 10000] [--parts throughput,capture]
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deletePrefix, formatSpread, MB, REPO_ROOT, shipperArgs, spread } from '../testkit/index.js';
import { runRounds, type RoundsResult } from '../testkit/bench/index.js';
import { awsLocalEnv, ensurePythonClient, withLocalStack, type ProvisionedStack } from '../testkit/stack/index.js';
import {
  exited,
  freshDir,
  gzipPipeline,
  parseSummary,
  printerCommand,
  readPrinterReport,
  readUsage,
  spawnJoblogs,
  stdioTo,
  verifyUpload,
  withShipperBench,
  type ShipperBench,
} from './shipper-common.js';

const PY_BENCH = path.join(REPO_ROOT, 'bench', 'python-shipper.py');
const BUCKET = 'joblogs-bench-python';
/** python -m joblogs run MiB/s over bare gzip's; the Node shipper's aim. */
const AIM_RATIO = 0.8;
/** Capture's slowdown of the training loop, percent. */
const AIM_SLOWDOWN = 5;
/** Peak RSS capture adds to the job, MiB. */
const AIM_RSS_ADDED = 40;

const PARTS = ['throughput', 'capture'] as const;
type Part = (typeof PARTS)[number];
type ThroughputVariant = 'gzip' | 'joblogs-node' | 'joblogs-python';
type CaptureVariant = 'loop' | 'loop+capture';

interface Run {
  ms: number;
  /** The job's (printer's, loop's) own time: its first to its last line. */
  jobMs: number;
  peakRssMb: number;
  cpuS: number;
}

interface Options {
  rounds: number;
  mb: number;
  steps: number;
  parts: Part[];
}

interface Context extends ShipperBench {
  stack: ProvisionedStack;
  python: string;
}

/** The stack's AWS settings, and no JOBLOGS_ or TRACEPARENT of ours. */
function pythonEnv(stack: ProvisionedStack, extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JOBLOGS_') && name !== 'TRACEPARENT'));
  return { ...base, ...awsLocalEnv(stack), ...extra };
}

/** Reads back a shipper's job (all chunks, every line) and removes it. */
async function checkShipped(ctx: Context, jobId: string, stderr: string): Promise<void> {
  const summary = parseSummary(stderr);
  const uploaded = await verifyUpload(ctx.s3, BUCKET, jobId);
  await deletePrefix(ctx.s3, BUCKET, `chunks/v1/${jobId}/`);
  const lines = ctx.fixture.lines;
  if (!summary || summary.dropped > 0 || summary.uploaded !== summary.chunks) throw new Error(`${jobId} did not upload everything: ${stderr.slice(-2000)}`);
  if (uploaded.frames !== lines || uploaded.finalLineCount !== lines || summary.lines !== lines) {
    throw new Error(`${jobId}: printed ${lines}, counted ${summary.lines}, frames in S3 ${uploaded.frames}, final line-count ${uploaded.finalLineCount}`);
  }
}

async function runThroughput(variant: ThroughputVariant, round: number, ctx: Context): Promise<Run> {
  const usageFile = path.join(ctx.work, 'usage.json');
  const printerReport = path.join(ctx.work, 'printer.json');
  rmSync(usageFile, { force: true });
  const args = ['dump', ctx.fixture.file];
  const out = stdioTo('/dev/null');
  const jobId = `bench-${variant}-${round}-${Date.now()}`;
  const spoolDir = freshDir(path.join(ctx.work, 'spool'));
  const startedWall = Date.now();
  const started = performance.now();
  try {
    if (variant === 'gzip') {
      await gzipPipeline(args, out.fd, { usageFile, printerReport });
    } else {
      const child =
        variant === 'joblogs-node'
          ? spawnJoblogs(
              {
                bundle: ctx.bundle,
                jobId,
                bucket: BUCKET,
                spoolDir,
                stack: ctx.stack,
                usageFile,
                extraArgs: ['--close-timeout', '600000'],
                env: { BENCH_PRINTER_REPORT: printerReport },
              },
              printerCommand(args),
              out.stdio,
            )
          : spawn(
              ctx.python,
              [
                PY_BENCH,
                'probe',
                '-m',
                'joblogs',
                ...shipperArgs('run', { jobId, bucket: BUCKET, spoolDir }, ['--close-timeout', '600000']),
                '--',
                ...printerCommand(args),
              ],
              {
                stdio: out.stdio,
                env: pythonEnv(ctx.stack, { BENCH_USAGE_FILE: usageFile, BENCH_PRINTER_REPORT: printerReport }),
              },
            );
      const done = await exited(child, variant);
      await checkShipped(ctx, jobId, done.stderr);
    }
  } finally {
    out.close();
  }
  const ms = performance.now() - started;
  const usage = readUsage(usageFile);
  return { ms, jobMs: readPrinterReport(printerReport).endedAt - startedWall, peakRssMb: usage.maxRssKb / 1024, cpuS: (usage.userUs + usage.systemUs) / 1e6 };
}

async function runLoop(variant: CaptureVariant, round: number, ctx: Context, o: { steps: number; work: number }): Promise<Run> {
  const usageFile = path.join(ctx.work, 'usage.json');
  const loopReport = path.join(ctx.work, 'loop.json');
  const jobId = `bench-capture-${round}-${Date.now()}`;
  const out = stdioTo('/dev/null');
  const env = pythonEnv(ctx.stack, {
    BENCH_USAGE_FILE: usageFile,
    BENCH_PRINTER_REPORT: loopReport,
    JOBLOGS_JOB_ID: jobId,
    JOBLOGS_BUCKET: BUCKET,
    JOBLOGS_SPOOL_DIR: freshDir(path.join(ctx.work, 'spool')),
    JOBLOGS_CLOSE_TIMEOUT_MS: '600000',
  });
  const started = performance.now();
  try {
    await exited(
      spawn(ctx.python, [PY_BENCH, 'loop', variant === 'loop' ? 'alone' : 'capture', String(o.steps), String(o.work)], { stdio: out.stdio, env }),
      variant,
    );
  } finally {
    out.close();
  }
  const ms = performance.now() - started;
  if (variant === 'loop+capture') {
    const uploaded = await verifyUpload(ctx.s3, BUCKET, jobId);
    await deletePrefix(ctx.s3, BUCKET, `chunks/v1/${jobId}/`);
    if (uploaded.frames !== o.steps || uploaded.finalLineCount !== o.steps) throw new Error(`capture shipped ${uploaded.frames} of ${o.steps} lines`);
  }
  const usage = readUsage(usageFile);
  const report = readPrinterReport(loopReport);
  return { ms, jobMs: report.endedAt - report.startedAt, peakRssMb: usage.maxRssKb / 1024, cpuS: (usage.userUs + usage.systemUs) / 1e6 };
}

/** Python over Node, round by round (both are measured against gzip by runRounds). */
function pythonVersusNode(result: RoundsResult<ThroughputVariant, Run>): void {
  const of = (variant: ThroughputVariant, round: number) => result.runs.find((r) => r.variant === variant && r.round === round)!.result;
  const rounds = [...new Set(result.runs.map((r) => r.round))];
  const speed = spread(rounds.map((round) => of('joblogs-node', round).ms / of('joblogs-python', round).ms));
  const memory = spread(rounds.map((round) => of('joblogs-python', round).peakRssMb / of('joblogs-node', round).peakRssMb));
  console.log(`joblogs-python vs joblogs-node, same rounds: ${formatSpread(speed, 2, '×')} the throughput, ${formatSpread(memory, 2, '×')} the peak RSS`);
}

async function measureThroughput(ctx: Context, options: Options): Promise<void> {
  const mbPerS = (r: Run) => ctx.fixture.bytes / MB / (r.ms / 1000);
  console.log(
    `\n## 1. throughput: node bench/log-printer.ts dump (${(ctx.fixture.bytes / MB).toFixed(0)} MiB, ${ctx.fixture.lines} lines) → bare gzip | the Node CLI | python -m joblogs run\n`,
  );
  const result = await runRounds<ThroughputVariant, Run>({
    name: 'python-shipper-throughput',
    variants: ['gzip', 'joblogs-node', 'joblogs-python'],
    baseline: 'gzip',
    rounds: options.rounds,
    measure: (variant, round) => runThroughput(variant, round, ctx),
    columns: [
      { label: 'time s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'MiB/s', value: mbPerS, digits: 1 },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
      { label: 'CPU s per GiB', value: (r) => (r.cpuS / (ctx.fixture.bytes / MB)) * 1024, digits: 1 },
      { label: 'ratio vs gzip', value: (r, base) => mbPerS(r) / mbPerS(base), digits: 3, unit: '×' },
    ],
    aim: [{ variant: 'joblogs-python', column: 'ratio vs gzip', atLeast: AIM_RATIO }],
    context: { mb: options.mb, bytes: ctx.fixture.bytes, lines: ctx.fixture.lines },
  });
  pythonVersusNode(result);
  console.log(`every shipper round: ${ctx.fixture.lines} lines printed = frames in S3 = final chunk's line-count`);
}

async function measureCapture(ctx: Context, options: Options): Promise<void> {
  const work = Number(execFileSync(ctx.python, [PY_BENCH, 'calibrate'], { encoding: 'utf8' }).trim());
  console.log(
    `\n## 2. in-process capture: ${options.steps} steps of ~1 ms arithmetic (${work} iterations) + one ~1 KiB print each, alone and with joblogs.capture()\n`,
  );
  const percent = (x: number) => x * 100;
  await runRounds<CaptureVariant, Run>({
    name: 'python-shipper-capture',
    variants: ['loop', 'loop+capture'],
    baseline: 'loop',
    rounds: options.rounds,
    warmup: true,
    measure: (variant, round) => runLoop(variant, round, ctx, { steps: options.steps, work }),
    columns: [
      { label: 'wall s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'loop s', value: (r) => r.jobMs / 1000, digits: 2 },
      { label: 'MiB/s printed', value: (r) => (options.steps * 1024) / MB / (r.jobMs / 1000), digits: 2 },
      { label: 'slowdown (wall)', value: (r, alone) => percent(r.ms / alone.ms - 1), digits: 1, unit: '%' },
      { label: 'slowdown (loop)', value: (r, alone) => percent(r.jobMs / alone.jobMs - 1), digits: 1, unit: '%' },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 1 },
      { label: 'RSS added MiB', value: (r, alone) => r.peakRssMb - alone.peakRssMb, digits: 1 },
      { label: 'CPU s', value: (r) => r.cpuS, digits: 2 },
    ],
    aim: [
      { variant: 'loop+capture', column: 'slowdown (wall)', atMost: AIM_SLOWDOWN },
      { variant: 'loop+capture', column: 'RSS added MiB', atMost: AIM_RSS_ADDED, stat: 'max' },
    ],
    context: { steps: options.steps, work },
  });
  console.log("(peak RSS is the job process's own, VmHWM; the loop alone is the interpreter and the loop)");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      mb: { type: 'string', default: '200' },
      steps: { type: 'string', default: '10000' },
      parts: { type: 'string', default: PARTS.join(',') },
    },
  });
  const options: Options = { rounds: Number(values.rounds), mb: Number(values.mb), steps: Number(values.steps), parts: values.parts.split(',') as Part[] };
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(options.mb) || options.mb < 1) throw new Error('--mb must be a positive integer');
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error('--steps must be a positive integer');
  if (options.parts.length === 0 || options.parts.some((p) => !PARTS.includes(p))) throw new Error(`--parts must be a subset of ${PARTS.join(',')}`);
  const python = await ensurePythonClient();
  await withLocalStack((stack) =>
    withShipperBench(stack, { name: 'python-shipper', bucket: BUCKET, mb: options.mb }, async (bench) => {
      const ctx: Context = { ...bench, stack, python };
      console.log(`python: ${python} (clients/python, editable), S3 = moto ${stack.moto.url}, bucket ${BUCKET}, shipper defaults`);
      if (options.parts.includes('throughput')) await measureThroughput(ctx, options);
      if (options.parts.includes('capture')) await measureCapture(ctx, options);
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
