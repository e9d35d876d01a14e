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
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { formatSpread, machineNote, printTable, requireNode24, saveResults, spread } from './measure.js';
import {
  buildJoblogs,
  deletePrefix,
  ensureBucket,
  exited,
  freshDir,
  gzipPipeline,
  parseSummary,
  printerCommand,
  printerFixture,
  readPrinterReport,
  readUsage,
  emptyBucket,
  s3For,
  spawnJoblogs,
  stdioTo,
  withLocalStack,
  type ProvisionedStack,
} from './shipper-common.js';
import { BENCH_DIR, MB } from './synthetic-log.js';

/** joblogs wall time over alone wall time, minus 1, the shipper should stay under. */
const AIM_SLOWDOWN = 0.05;
const BUCKET = 'joblogs-bench-shipper-overhead';
const PROFILES = ['busy', 'burst'] as const;
type Profile = (typeof PROFILES)[number];
type Variant = 'alone' | 'gzip' | 'joblogs';

interface Run {
  profile: Profile;
  round: number;
  variant: Variant;
  ms: number;
  jobMs: number;
  slowdown: number;
  jobSlowdown: number;
  consumerCpuS?: number;
  consumerRssMb?: number;
}

interface Options {
  rounds: number;
  mb: number;
  spin: number;
  profiles: Profile[];
}

async function runOnce(variant: Variant, args: string[], ctx: { bundle: string; stack: ProvisionedStack; work: string; tag: string; lines: number }): Promise<Omit<Run, 'profile' | 'round' | 'slowdown' | 'jobSlowdown'>> {
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
                { bundle: ctx.bundle, jobId, bucket: BUCKET, spoolDir: freshDir(path.join(ctx.work, 'spool')), stack: ctx.stack, usageFile, extraArgs: ['--close-timeout', '600000'], env: { BENCH_PRINTER_REPORT: printerReport } },
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
  if (!summary || summary.lines !== ctx.lines || summary.uploaded !== summary.chunks) throw new Error(`joblogs did not ship every line: ${done.stderr.slice(-2000)}`);
  const s3 = s3For(ctx.stack);
  await deletePrefix(s3, BUCKET, `chunks/v1/${jobId}/`).finally(() => s3.destroy());
  const usage = readUsage(usageFile);
  return { variant, ms, jobMs, consumerCpuS: (usage.userUs + usage.systemUs) / 1e6, consumerRssMb: usage.maxRssKb / 1024 };
}

async function measure(stack: ProvisionedStack, options: Options): Promise<void> {
  requireNode24();
  const fixture = await printerFixture(options.mb);
  const bundle = await buildJoblogs();
  const work = freshDir(path.join(BENCH_DIR, 'shipper-overhead'));
  const s3 = s3For(stack);
  await ensureBucket(s3, BUCKET);
  console.log(`# shipper overhead benchmark — ${machineNote()}`);
  console.log(`job: node bench/log-printer.ts dump (${(fixture.bytes / MB).toFixed(0)} MiB, ${fixture.lines} lines, 64 KiB writes), stdout to a file in both variants`);
  console.log(`profiles: ${options.profiles.map((p) => (p === 'busy' ? `busy (--spin ${options.spin} per MiB)` : 'burst (--spin 0)')).join(', ')}; joblogs ships to moto ${stack.moto.url}, shipper defaults\n`);
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const profile of options.profiles) {
        const args = ['dump', fixture.file, '--spin', String(profile === 'busy' ? options.spin : 0)];
        let alone: { ms: number; jobMs: number } | undefined;
        for (const variant of ['alone', 'gzip', 'joblogs'] as const) {
          const r = await runOnce(variant, args, { bundle, stack, work, tag: `${profile}-${round}-${Date.now()}`, lines: fixture.lines });
          alone ??= r;
          runs.push({ ...r, profile, round, slowdown: r.ms / alone.ms - 1, jobSlowdown: r.jobMs / alone.jobMs - 1 });
        }
      }
    }
  } finally {
    await emptyBucket(s3, BUCKET).catch((error: Error) => console.error(`[bench] could not empty s3://${BUCKET}: ${error.message}`));
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  printTable(
    ['round', 'profile', 'variant', 'wall', 'slowdown', 'job', 'job slowdown', 'consumer CPU s', 'consumer RSS MiB'],
    runs.map((r) => [
      String(r.round),
      r.profile,
      r.variant,
      `${(r.ms / 1000).toFixed(2)} s`,
      r.variant === 'alone' ? '' : pct(r.slowdown),
      `${(r.jobMs / 1000).toFixed(2)} s`,
      r.variant === 'alone' ? '' : pct(r.jobSlowdown),
      r.consumerCpuS === undefined ? '' : r.consumerCpuS.toFixed(1),
      r.consumerRssMb === undefined ? '' : r.consumerRssMb.toFixed(0),
    ]),
  );
  console.log(`\n## summary: median (min–max) over ${options.rounds} rounds\n`);
  const summary = options.profiles.map((profile) => {
    const mine = runs.filter((r) => r.profile === profile);
    const ours = mine.filter((r) => r.variant === 'joblogs');
    const gzip = mine.filter((r) => r.variant === 'gzip');
    return {
      profile,
      aloneS: spread(mine.filter((r) => r.variant === 'alone').map((r) => r.ms / 1000)),
      gzipSlowdownPct: spread(gzip.map((r) => r.slowdown * 100)),
      joblogsS: spread(ours.map((r) => r.ms / 1000)),
      slowdownPct: spread(ours.map((r) => r.slowdown * 100)),
      jobSlowdownPct: spread(ours.map((r) => r.jobSlowdown * 100)),
    };
  });
  printTable(
    ['profile', 'alone s', 'joblogs s', 'joblogs slowdown (wall)', 'joblogs slowdown (job itself)', 'gzip-pipe slowdown (wall)'],
    summary.map((s) => [s.profile, formatSpread(s.aloneS, 2), formatSpread(s.joblogsS, 2), formatSpread(s.slowdownPct, 1, '%'), formatSpread(s.jobSlowdownPct, 1, '%'), formatSpread(s.gzipSlowdownPct, 1, '%')]),
  );
  for (const s of summary) {
    const verdict = s.slowdownPct.median <= AIM_SLOWDOWN * 100 ? 'meets' : 'ABOVE';
    console.log(`\n${s.profile}: joblogs ${s.slowdownPct.median.toFixed(1)}% slower (wall) — ${verdict} the aim of ≤ ${AIM_SLOWDOWN * 100}%${s.profile === 'burst' ? ' (worst case: a job that only prints)' : ''}`);
  }
  const saved = saveResults('shipper-overhead', { machine: machineNote(), mb: options.mb, spin: options.spin, runs, summary });
  console.log(`raw results: ${path.relative(process.cwd(), saved)}`);
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
  await withLocalStack((stack) => measure(stack, { rounds, mb, spin, profiles }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
