/**
 * Shipper throughput: how fast `joblogs run` takes a job's output to S3, as a ratio against bare
 * zlib gzip at the shipper's level on the same bytes, measured in the same run.
 *
 * - `gzip`    `node log-printer.ts dump <fixture> | node -e <copy stdin to stdout, and through
 *             zlib.createGzip({ level }) into nothing>`: a second process reading the job's pipe,
 *             passing it through and compressing it, which is the least any shipper has to do.
 * - `gzip-s3` the same, and the output PUT to the same moto as the shipper's chunks go: the job's bytes
 *             in pieces of the shipper's chunk size, each gzipped alone and PUT unsigned (at most 4 in
 *             flight). What S3 costs any shipper on this rig — moto's CPU is taken from the same two
 *             cores as the shipper's — without framing, spool or scrubbing: `vs gzip-s3` is
 *             joblogs's MiB/s over its MiB/s in the same round. The aim stays against `gzip`.
 * - `gzip-6`  the same at zlib's default level 6 (what `gzip` does by default, and the shipper's
 *             level until it became 1): `vs gzip-6` is joblogs's MiB/s over its MiB/s in the same round.
 * - `joblogs` `node joblogs.mjs run --job-id … --bucket … -- node log-printer.ts dump <fixture>`,
 *             uploading to S3 on the local stack's moto; the clock stops when joblogs exits, i.e.
 *             after the final chunk is uploaded (`--close-timeout` is raised so nothing stays spooled).
 *
 * Both consumers' stdout go to /dev/null; the printer is the same process in both (a cached,
 * uncompressed ≥ 200 MiB synthetic log written in 64 KiB blocks). Peak RSS is that of the
 * consuming process only (the `joblogs` process, resp. the gzip process), not the job's. `moto CPU s`
 * is what the local S3 server spent in the same time (`/proc/<pid>/stat`); the `gzip` rows, which
 * send it nothing, show what the stack's own traffic adds (0.00 s in the runs so far).
 * After each joblogs run every chunk is read back: seqs 0…n-1, the last one final, and the frame
 * count and the final chunk's `line-count` must equal the lines the printer printed.
 *
 * - `joblogs-worker` (only with `--variants`): `joblogs run --framing worker`, framing and gzip
 *             driven from a worker thread instead of joblogs's main thread (the default, `inline`).
 * - `joblogs-inline` (only with `--variants`): `joblogs run --framing inline`, the default said
 *             explicitly (for a `--ref-bundle` whose default was the worker).
 *
 * - `joblogs-ref` (with `--ref-bundle <file>`): another build of the CLI, e.g. the main branch's
 *             (`tsx cli/build.ts` there, or `buildCli(file)`), for a before/after in one run.
 *
 *   tsx bench/shipper-throughput.ts [--rounds 3] [--mb 200] [--variants gzip,gzip-s3,gzip-6,joblogs,joblogs-worker] [--ref-bundle file]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deletePrefix, listKeys, MB } from '../testkit/index.js';
import { processCpuSeconds, runRounds, type Column } from '../testkit/bench/index.js';
import { localS3Client, withLocalStack, type ProvisionedStack } from '../testkit/stack/index.js';
import { ShipperDefaults } from '../shared/shipper/constants.js';
import {
  exited,
  finishShipperRun,
  freshDir,
  GZIP_LEVEL,
  gzipPipeline,
  printerCommand,
  readPrinterReport,
  readUsage,
  spawnJoblogs,
  stdioTo,
  USAGE_PROBE,
  withShipperBench,
  type ShipperBench,
} from './shipper-common.js';

/** joblogs MB/s over gzip MB/s the shipper should keep. */
const AIM_RATIO = 0.8;
/** Peak RSS of the joblogs process, MiB (bare gzip in a Node process of its own peaks at 72–80 MiB here). */
const AIM_RSS_MB = 90;
const BUCKET = 'joblogs-bench-shipper';

/** `joblogs-worker` / `joblogs-inline`: the same with `--framing worker` / `inline`, for comparison. */
const VARIANTS = ['gzip', 'gzip-s3', 'gzip-6', 'joblogs', 'joblogs-worker', 'joblogs-inline', 'joblogs-ref'] as const;
/** `gzip-s3`: PUTs in flight at once (the shipper sends one at a time but never stops reading the job meanwhile). */
const GZIP_S3_IN_FLIGHT = 4;
/** zlib's default level: the reference `gzip-6` compresses at it. */
const ZLIB_DEFAULT_LEVEL = 6;
const FRAMING_ARGS: Partial<Record<Variant, string[]>> = { 'joblogs-worker': ['--framing', 'worker'], 'joblogs-inline': ['--framing', 'inline'] };
type Variant = (typeof VARIANTS)[number];

interface Run {
  variant: Variant;
  round: number;
  /** Start of the pipeline to exit of the consumer. */
  ms: number;
  /** Start of the pipeline to exit of the printer (the job itself). */
  printerMs: number;
  peakRssMb: number;
  cpuS: number;
  /** CPU seconds the local S3 server (moto) spent during the run. */
  motoCpuS: number;
  gzipBytes: number;
  chunks?: number;
  lines?: number;
}

interface Options {
  rounds: number;
  mb: number;
  variants: Variant[];
  /** `joblogs-ref`: another build of the CLI (e.g. the last release's), run with the same arguments. */
  refBundle?: string;
}

type GzipVariant = 'gzip' | 'gzip-s3' | 'gzip-6';

async function runGzip(fixture: string, stack: ProvisionedStack, work: string, round: number, variant: GzipVariant): Promise<Run> {
  const usageFile = path.join(work, 'usage.json');
  const printerReport = path.join(work, 'printer.json');
  rmSync(usageFile, { force: true });
  const prefix = `gzip-s3/${round}-${Date.now()}`;
  const toS3 =
    variant === 'gzip-s3'
      ? { url: `${stack.moto.url}/${BUCKET}/${prefix}`, pieceBytes: ShipperDefaults.maxChunkBytes, inFlight: GZIP_S3_IN_FLIGHT }
      : undefined;
  const motoAtStart = processCpuSeconds(stack.moto.pid);
  const startedWall = Date.now();
  const started = performance.now();
  const out = stdioTo('/dev/null');
  const done = await gzipPipeline(['dump', fixture], out.fd, { usageFile, printerReport }, variant === 'gzip-6' ? ZLIB_DEFAULT_LEVEL : GZIP_LEVEL, toS3);
  const ms = performance.now() - started;
  const motoCpuS = processCpuSeconds(stack.moto.pid) - motoAtStart;
  out.close();
  if (toS3) await removeObjects(stack, prefix, Number(/objects (\d+)/.exec(done.stderr)?.[1]));
  const report = readPrinterReport(printerReport);
  const usage = readUsage(usageFile);
  return {
    variant,
    round,
    ms,
    printerMs: report.endedAt - startedWall,
    peakRssMb: usage.maxRssKb / 1024,
    cpuS: (usage.userUs + usage.systemUs) / 1e6,
    motoCpuS,
    gzipBytes: Number(/gzip bytes (\d+)/.exec(done.stderr)?.[1] ?? 0),
  };
}

/** Deletes what a `gzip-s3` run PUT, after checking that every piece is there. */
async function removeObjects(stack: ProvisionedStack, prefix: string, objects: number): Promise<void> {
  const s3 = localS3Client(stack);
  try {
    const keys = await listKeys(s3, BUCKET, `${prefix}/`);
    if (!(objects > 0) || keys.length !== objects)
      throw new Error(`gzip-s3: the consumer PUT ${objects} objects, ${keys.length} are in s3://${BUCKET}/${prefix}/`);
    await deletePrefix(s3, BUCKET, `${prefix}/`);
  } finally {
    s3.destroy();
  }
}

async function runJoblogs(
  bundle: string,
  fixture: string,
  expectedLines: number,
  stack: ProvisionedStack,
  work: string,
  round: number,
  variant: Exclude<Variant, GzipVariant>,
): Promise<Run> {
  const usageFile = path.join(work, 'usage.json');
  const printerReport = path.join(work, 'printer.json');
  const spoolDir = freshDir(path.join(work, 'spool'));
  rmSync(usageFile, { force: true });
  const jobId = `bench-throughput-${round}-${Date.now()}`;
  const out = stdioTo('/dev/null');
  const motoCpu = { pid: stack.moto.pid, atStart: processCpuSeconds(stack.moto.pid) };
  const startedWall = Date.now();
  const started = performance.now();
  const child = spawnJoblogs(
    {
      bundle,
      jobId,
      bucket: BUCKET,
      spoolDir,
      stack,
      usageFile,
      extraArgs: ['--close-timeout', '600000', ...(FRAMING_ARGS[variant] ?? [])],
      env: { BENCH_PRINTER_REPORT: printerReport },
    },
    printerCommand(['dump', fixture]),
    out.stdio,
  );
  return finishShipperRun(
    child,
    { started, out, usageFile, moto: stack, bucket: BUCKET, jobId, motoCpu },
    ({ ms, stderr, usage, summary, uploaded, motoCpuS }) => {
      if (!summary || summary.dropped > 0 || summary.uploaded !== summary.chunks) throw new Error(`joblogs did not upload everything: ${stderr.slice(-2000)}`);
      if (uploaded.frames !== expectedLines || uploaded.finalLineCount !== expectedLines || summary.lines !== expectedLines) {
        throw new Error(
          `lines: printed ${expectedLines}, joblogs counted ${summary.lines}, frames in S3 ${uploaded.frames}, final line-count ${uploaded.finalLineCount}`,
        );
      }
      return {
        variant,
        round,
        ms,
        printerMs: readPrinterReport(printerReport).endedAt - startedWall,
        peakRssMb: usage.maxRssKb / 1024,
        cpuS: (usage.userUs + usage.systemUs) / 1e6,
        motoCpuS: motoCpuS ?? 0,
        gzipBytes: uploaded.gzipBytes,
        chunks: uploaded.chunks,
        lines: uploaded.frames,
      };
    },
  );
}

/** Peak RSS of an empty Node, and of joblogs around a job that prints nothing: what no tuning of the pipeline removes. */
async function rssFloors(bundle: string, stack: ProvisionedStack, work: string): Promise<{ nodeMb: number; idleJoblogsMb: number }> {
  const usageFile = path.join(work, 'usage.json');
  await exited(
    spawn(process.execPath, ['--import', USAGE_PROBE, '-e', ''], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_USAGE_FILE: usageFile } }),
    'node',
  );
  const nodeMb = readUsage(usageFile).maxRssKb / 1024;
  const jobId = `bench-throughput-idle-${Date.now()}`;
  await exited(
    spawnJoblogs(
      { bundle, jobId, bucket: BUCKET, spoolDir: freshDir(path.join(work, 'spool')), stack, usageFile },
      [process.execPath, '-e', ''],
      ['ignore', 'ignore', 'pipe'],
    ),
    'joblogs run',
  );
  return { nodeMb, idleJoblogsMb: readUsage(usageFile).maxRssKb / 1024 };
}

function isGzip(variant: Variant): variant is GzipVariant {
  return variant === 'gzip' || variant === 'gzip-s3' || variant === 'gzip-6';
}

async function measure(stack: ProvisionedStack, options: Options, { fixture, bundle, work }: ShipperBench): Promise<void> {
  console.log(
    `job: node bench/log-printer.ts dump (${(fixture.bytes / MB).toFixed(0)} MiB, ${fixture.lines} lines, 64 KiB writes); gzip level ${GZIP_LEVEL} in joblogs and \`gzip\`, ${ZLIB_DEFAULT_LEVEL} in \`gzip-6\``,
  );
  console.log(
    `joblogs: ${path.relative(process.cwd(), bundle)} (built from the current sources), S3 = moto ${stack.moto.url}, bucket ${BUCKET}, shipper defaults otherwise\n`,
  );
  const mbPerS = (r: Run) => fixture.bytes / MB / (r.ms / 1000);
  /** A joblogs row's MiB/s over that of another baseline's row of the same round. */
  const againstRound = (label: string, byRound: Map<number, Run>): Column<Run> => ({
    label,
    value: (r: Run) => (r.variant.startsWith('joblogs') && byRound.has(r.round) ? mbPerS(r) / mbPerS(byRound.get(r.round)!) : undefined),
    digits: 3,
    unit: '×',
  });
  const floors = await rssFloors(bundle, stack, work);
  const ours = options.variants.includes('joblogs') ? 'joblogs' : options.variants.at(-1)!;
  const gzip6ByRound = new Map<number, Run>();
  const gzipS3ByRound = new Map<number, Run>();
  await runRounds({
    name: 'shipper-throughput',
    variants: options.variants,
    baseline: 'gzip',
    rounds: options.rounds,
    measure: async (variant, round) => {
      if (!isGzip(variant))
        return runJoblogs(variant === 'joblogs-ref' ? options.refBundle! : bundle, fixture.file, fixture.lines, stack, work, round, variant);
      const run = await runGzip(fixture.file, stack, work, round, variant);
      if (variant === 'gzip-6') gzip6ByRound.set(round, run);
      if (variant === 'gzip-s3') gzipS3ByRound.set(round, run);
      return run;
    },
    columns: [
      { label: 'time s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'job done s', value: (r) => r.printerMs / 1000, digits: 2 },
      { label: 'MiB/s', value: mbPerS, digits: 1 },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
      { label: 'CPU s per GiB', value: (r) => (r.cpuS / (fixture.bytes / MB)) * 1024, digits: 1 },
      { label: 'moto CPU s', value: (r) => r.motoCpuS, digits: 2 },
      { label: 'gzip MiB', value: (r) => r.gzipBytes / MB, digits: 1 },
      { label: 'chunks', value: (r) => r.chunks, digits: 0 },
      { label: 'ratio vs gzip', value: (r, base) => mbPerS(r) / mbPerS(base), digits: 3, unit: '×' },
      againstRound('vs gzip-s3', gzipS3ByRound),
      againstRound('vs gzip-6', gzip6ByRound),
    ],
    aim: [
      { variant: ours, column: 'ratio vs gzip', atLeast: AIM_RATIO },
      { variant: ours, column: 'peak RSS MiB', atMost: AIM_RSS_MB, stat: 'max' },
    ],
    context: { mb: options.mb, floors, bytes: fixture.bytes, lines: fixture.lines },
  });
  console.log(
    `(peak RSS is the consumer's; floors: an empty Node process peaks at ${floors.nodeMb.toFixed(0)} MiB; joblogs around a job that prints nothing at ${floors.idleJoblogsMb.toFixed(0)} MiB)`,
  );
  console.log(`every joblogs round: ${fixture.lines} lines printed = frames in S3 = final chunk's line-count`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      mb: { type: 'string', default: '200' },
      variants: { type: 'string' },
      'ref-bundle': { type: 'string' },
    },
  });
  const refBundle = values['ref-bundle'];
  const variants = (values.variants ?? (refBundle ? 'gzip,gzip-s3,gzip-6,joblogs,joblogs-ref' : 'gzip,gzip-s3,gzip-6,joblogs')).split(',') as Variant[];
  if (variants.includes('joblogs-ref') && !refBundle) throw new Error('--variants joblogs-ref needs --ref-bundle <joblogs.mjs>');
  if (variants[0] !== 'gzip' || variants.some((v) => !VARIANTS.includes(v)))
    throw new Error(`--variants must start with gzip (the baseline) and name only ${VARIANTS.join(', ')}`);
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(mb) || mb < 1) throw new Error('--mb must be a positive integer');
  await withLocalStack((stack) =>
    withShipperBench(stack, { name: 'shipper-throughput', bucket: BUCKET, mb }, (bench) => measure(stack, { rounds, mb, variants, refBundle }, bench)),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
