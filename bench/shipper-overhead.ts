/**
 * Shipper overhead on the job: wall time of the same program alone and under `joblogs run`,
 * measured in the same run, interleaved (alone, gzip, joblogs, alone, gzip, joblogs…).
 *
 * - `alone`   `node log-printer.ts dump <fixture> [--spin N] > file`
 * - `gzip`    `node log-printer.ts dump … | node -e <pass through to stdout and gzip> > file`: what
 *             any consumer of the job's pipe costs it at least (a reference, not the baseline).
 * - `joblogs` `node joblogs.mjs run … -- node log-printer.ts dump <fixture> [--spin N] > file`
 *             (joblogs passes the output through to its stdout, the file, and ships it to S3 on
 *             the local stack's moto).
 *
 * Two profiles of the same ≥ 200 MiB of output:
 * - `busy`  (default `--spin 15000`): CPU work between 1 MiB bursts, a training loop that logs;
 *           the job runs ~15 s alone on the development machines. The headline figure.
 * - `burst` (`--spin 0`): the job does nothing but print, as fast as the pipe takes it: the
 *           worst case, where the job can only go as fast as joblogs reads.
 *
 * Wall time is from spawning the command to its exit: for `joblogs`, after the final chunk is
 * uploaded (what a scheduler waits for). "job" is the program's own run time (spawn to its last
 * write, reported by the program), i.e. how much the job itself was held up.
 *
 *   tsx bench/shipper-overhead.ts [--rounds 3] [--mb 200] [--spin 15000] [--profiles busy,burst]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deletePrefix, MB } from '../testkit/index.js';
import { runRounds } from '../testkit/bench/index.js';
import { localS3Client, withLocalStack, type ProvisionedStack } from '../testkit/stack/index.js';
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
  withShipperBench,
  type ShipperBench,
} from './shipper-common.js';

/** joblogs wall time over alone wall time, minus 1, the shipper should stay under. */
const AIM_SLOWDOWN = 0.05;
const BUCKET = 'joblogs-bench-shipper-overhead';
const PROFILES = ['busy', 'burst'] as const;
type Profile = (typeof PROFILES)[number];
type Variant = 'alone' | 'gzip' | 'joblogs';

interface Run {
  variant: Variant;
  ms: number;
  jobMs: number;
  consumerCpuS?: number;
  consumerRssMb?: number;
}

/** Each round runs every profile's three variants: `busy:alone`, `busy:gzip`, `busy:joblogs`, `burst:alone`… */
type ProfiledVariant = `${Profile}:${Variant}`;

interface Options {
  rounds: number;
  mb: number;
  spin: number;
  profiles: Profile[];
}

async function runOnce(
  variant: Variant,
  args: string[],
  ctx: { bundle: string; stack: ProvisionedStack; work: string; tag: string; lines: number },
): Promise<Run> {
  const outFile = path.join(ctx.work, 'job.out');
  const printerReport = path.join(ctx.work, 'printer.json');
  const usageFile = path.join(ctx.work, 'usage.json');
  rmSync(outFile, { force: true });
  const out = stdioTo(outFile);
  const command = printerCommand(args);
  const jobId = `bench-overhead-${ctx.tag}`;
  const startedWall = Date.now();
  const started = performance.now();
  const done =
    variant === 'gzip'
      ? await gzipPipeline(args, out.fd, { usageFile, printerReport })
      : await exited(
          variant === 'alone'
            ? spawn(command[0]!, command.slice(1), { stdio: out.stdio, env: { ...process.env, BENCH_PRINTER_REPORT: printerReport } })
            : spawnJoblogs(
                {
                  bundle: ctx.bundle,
                  jobId,
                  bucket: BUCKET,
                  spoolDir: freshDir(path.join(ctx.work, 'spool')),
                  stack: ctx.stack,
                  usageFile,
                  extraArgs: ['--close-timeout', '600000'],
                  env: { BENCH_PRINTER_REPORT: printerReport },
                },
                command,
                out.stdio,
              ),
          variant,
        );
  const ms = performance.now() - started;
  out.close();
  const jobMs = readPrinterReport(printerReport).endedAt - startedWall;
  rmSync(outFile, { force: true });
  if (variant === 'alone') return { variant, ms, jobMs };
  if (variant === 'gzip') {
    const usage = readUsage(usageFile);
    return { variant, ms, jobMs, consumerCpuS: (usage.userUs + usage.systemUs) / 1e6, consumerRssMb: usage.maxRssKb / 1024 };
  }
  const summary = parseSummary(done.stderr);
  if (!summary || summary.lines !== ctx.lines || summary.uploaded !== summary.chunks)
    throw new Error(`joblogs did not ship every line: ${done.stderr.slice(-2000)}`);
  const s3 = localS3Client(ctx.stack);
  await deletePrefix(s3, BUCKET, `chunks/v1/${jobId}/`).finally(() => s3.destroy());
  const usage = readUsage(usageFile);
  return { variant, ms, jobMs, consumerCpuS: (usage.userUs + usage.systemUs) / 1e6, consumerRssMb: usage.maxRssKb / 1024 };
}

async function measure(stack: ProvisionedStack, options: Options, { fixture, bundle, work }: ShipperBench): Promise<void> {
  console.log(
    `job: node bench/log-printer.ts dump (${(fixture.bytes / MB).toFixed(0)} MiB, ${fixture.lines} lines, 64 KiB writes), stdout to a file in every variant`,
  );
  console.log(
    `profiles: ${options.profiles.map((p) => (p === 'busy' ? `busy (--spin ${options.spin} per MiB)` : 'burst (--spin 0)')).join(', ')}; joblogs ships to moto ${stack.moto.url}, shipper defaults`,
  );
  console.log('slowdown = wall / alone\'s wall − 1 ("job": the program\'s own run time); gzip is a reference: what any consumer of the pipe costs\n');
  const variants = options.profiles.flatMap((p) => (['alone', 'gzip', 'joblogs'] as const).map((v): ProfiledVariant => `${p}:${v}`));
  const percent = (x: number) => x * 100;
  await runRounds({
    name: 'shipper-overhead',
    variants,
    baseline: (v) => `${v.split(':')[0] as Profile}:alone`,
    rounds: options.rounds,
    measure: (v, round) => {
      const [profile, variant] = v.split(':') as [Profile, Variant];
      const args = ['dump', fixture.file, '--spin', String(profile === 'busy' ? options.spin : 0)];
      return runOnce(variant, args, { bundle, stack, work, tag: `${profile}-${round}-${Date.now()}`, lines: fixture.lines });
    },
    columns: [
      { label: 'wall s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'job s', value: (r) => r.jobMs / 1000, digits: 2 },
      { label: 'slowdown (wall)', value: (r, alone) => percent(r.ms / alone.ms - 1), digits: 1, unit: '%' },
      { label: 'slowdown (job)', value: (r, alone) => percent(r.jobMs / alone.jobMs - 1), digits: 1, unit: '%' },
      { label: 'consumer CPU s', value: (r) => r.consumerCpuS, digits: 1 },
      { label: 'consumer RSS MiB', value: (r) => r.consumerRssMb, digits: 0 },
    ],
    aim: options.profiles.map((p) => ({ variant: `${p}:joblogs` as const, column: 'slowdown (wall)', atMost: AIM_SLOWDOWN * 100 })),
    context: { mb: options.mb, spin: options.spin },
  });
  console.log('(burst is the worst case: a job that only prints)');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      mb: { type: 'string', default: '200' },
      spin: { type: 'string', default: '15000' },
      profiles: { type: 'string', default: PROFILES.join(',') },
    },
  });
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  const spin = Number(values.spin);
  const profiles = values.profiles.split(',') as Profile[];
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(mb) || mb < 1) throw new Error('--mb must be a positive integer');
  if (!Number.isInteger(spin) || spin < 0) throw new Error('--spin must be a whole number');
  if (profiles.length === 0 || profiles.some((p) => !PROFILES.includes(p))) throw new Error(`--profiles must be a subset of ${PROFILES.join(',')}`);
  await withLocalStack((stack) =>
    withShipperBench(stack, { name: 'shipper-overhead', bucket: BUCKET, mb }, (bench) => measure(stack, { rounds, mb, spin, profiles }, bench)),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
