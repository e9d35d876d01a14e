/**
 * What secret scrubbing costs the shipper: `joblogs run` with scrubbing on (the default), as a
 * ratio of its CPU time against the same run with `--no-redact`, measured in the same run.
 *
 * - `no-redact`   `joblogs run --no-redact -- node log-printer.ts dump <fixture>`: the baseline.
 * - `joblogs`     the same with scrubbing on, as a training job has it: HF_TOKEN, WANDB_API_KEY,
 *                 AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN set, one more variable declared with
 *                 --redact-env, on the synthetic training log, which holds no secret: the everyday
 *                 cost (the prefilter over every byte, the rules on the few lines it flags).
 * - `secrets`     the same on a copy of the log in which every 100th line also prints a secret (an
 *                 HF token, a bearer header with a JWT, an AWS secret key, the declared value, in
 *                 turn): the cost when the rules do run.
 * - `many-values` like `joblogs` with every well-known variable (20) set: the most values to look for.
 *
 * Every joblogs round is read back: frames in S3 = the final chunk's line-count = lines printed;
 * in `secrets`, the final chunk's `redactions` = secrets printed.
 *
 *   tsx bench/shipper-scrub.ts [--rounds 3] [--mb 200]
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCRUB_RULES } from '../shared/core/scrub/index.js';
import { listKeys, MB } from '../testkit/index.js';
import { runRounds, type PrinterFixture } from '../testkit/bench/index.js';
import { withLocalStack, type ProvisionedStack } from '../testkit/stack/index.js';
import { finishShipperRun, freshDir, printerCommand, spawnJoblogs, stdioTo, withShipperBench, type ShipperBench } from './shipper-common.js';

/** Scrubbing may cost at most this much more CPU than shipping without it. */
const AIM_CPU_RATIO = 1.1;
const BUCKET = 'joblogs-bench-shipper';
const VARIANTS = ['no-redact', 'joblogs', 'secrets', 'many-values'] as const;
type Variant = (typeof VARIANTS)[number];
/** Every this many lines of the `secrets` fixture prints a secret. */
const SECRET_EVERY = 100;

const DECLARED = 'declared-value-5c1e0a9b77f3';
const SECRET_LINES = [
  ' hub=hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567',
  ' Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  ' AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ` declared ${DECLARED}`,
];

interface Run {
  variant: Variant;
  ms: number;
  cpuS: number;
  peakRssMb: number;
  redactions: number;
}

/** What a training job typically has set of the well-known secret variables. */
const TYPICAL = ['HF_TOKEN', 'WANDB_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/** Well-known secret variables set as a job would have them: random-looking values of a token's length. */
function declaredEnvironment(variant: Variant): Record<string, string> {
  const names = variant === 'many-values' ? SCRUB_RULES.defaultSecretEnv : TYPICAL;
  return Object.fromEntries(names.map((name) => [name, createHash('sha256').update(name).digest('base64url').slice(0, 40)]));
}

/** The printer fixture with a secret appended to every {@link SECRET_EVERY}th `\n`-ended line (the same line count). */
function secretsFixture(plain: PrinterFixture): PrinterFixture & { secrets: number } {
  const file = plain.file.replace(/\.log$/, `-secrets${SECRET_EVERY}.log`);
  const meta = `${file}.json`;
  if (!existsSync(meta)) {
    console.error(`[bench] generating ${file}`);
    const body = readFileSync(plain.file);
    const fd = openSync(`${file}.partial`, 'w');
    let from = 0;
    let line = 0;
    let secrets = 0;
    let bytes = 0;
    for (let nl = body.indexOf(0x0a); nl !== -1; nl = body.indexOf(0x0a, nl + 1)) {
      if (++line % SECRET_EVERY !== 0) continue;
      const extra = Buffer.from(SECRET_LINES[secrets++ % SECRET_LINES.length]!);
      bytes += writeSync(fd, body.subarray(from, nl)) + writeSync(fd, extra);
      from = nl;
    }
    bytes += writeSync(fd, body.subarray(from));
    closeSync(fd);
    renameSync(`${file}.partial`, file);
    writeFileSync(meta, JSON.stringify({ bytes, lines: plain.lines, secrets }));
  }
  return { file, ...(JSON.parse(readFileSync(meta, 'utf8')) as { bytes: number; lines: number; secrets: number }) };
}

async function runJoblogs(variant: Variant, bench: ShipperBench, fixture: PrinterFixture, stack: ProvisionedStack, round: number): Promise<Run> {
  const usageFile = path.join(bench.work, 'usage.json');
  rmSync(usageFile, { force: true });
  const jobId = `bench-scrub-${variant}-${round}-${Date.now()}`;
  const out = stdioTo('/dev/null');
  const started = performance.now();
  const child = spawnJoblogs(
    {
      bundle: bench.bundle,
      jobId,
      bucket: BUCKET,
      spoolDir: freshDir(path.join(bench.work, 'spool')),
      stack,
      usageFile,
      extraArgs: ['--close-timeout', '600000', ...(variant === 'no-redact' ? ['--no-redact'] : ['--redact-env', 'BENCH_DECLARED'])],
      env: { ...declaredEnvironment(variant), BENCH_DECLARED: DECLARED },
    },
    printerCommand(['dump', fixture.file]),
    out.stdio,
  );
  return finishShipperRun(child, { started, out, usageFile, moto: stack, bucket: BUCKET, jobId }, async ({ ms, stderr, usage, summary, uploaded, s3 }) => {
    if (!summary || uploaded.frames !== fixture.lines || uploaded.finalLineCount !== fixture.lines) {
      throw new Error(`lines: printed ${fixture.lines}, frames in S3 ${uploaded.frames}, final line-count ${uploaded.finalLineCount}: ${stderr.slice(-1000)}`);
    }
    const keys = await listKeys(s3, BUCKET, `chunks/v1/${jobId}/main/`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys.at(-1)! }));
    return {
      variant,
      ms,
      cpuS: (usage.userUs + usage.systemUs) / 1e6,
      peakRssMb: usage.maxRssKb / 1024,
      redactions: Number(head.Metadata?.['redactions'] ?? 0),
    };
  });
}

async function measure(stack: ProvisionedStack, rounds: number, bench: ShipperBench): Promise<void> {
  const secrets = secretsFixture(bench.fixture);
  const fixtureOf = (variant: Variant): PrinterFixture => (variant === 'secrets' ? secrets : bench.fixture);
  console.log(
    `job: node bench/log-printer.ts dump (${(bench.fixture.bytes / MB).toFixed(0)} MiB, ${bench.fixture.lines} lines); \`secrets\`: ${secrets.secrets} secrets, one every ${SECRET_EVERY} lines`,
  );
  console.log(
    `joblogs: shipper defaults; ${TYPICAL.length} well-known secret variables set (many-values: all ${SCRUB_RULES.defaultSecretEnv.length}) + 1 declared (--redact-env); baseline --no-redact\n`,
  );
  const result = await runRounds({
    name: 'shipper-scrub',
    variants: VARIANTS,
    baseline: 'no-redact',
    rounds,
    measure: (variant, round) => runJoblogs(variant, bench, fixtureOf(variant), stack, round),
    columns: [
      { label: 'time s', value: (r) => r.ms / 1000, digits: 2 },
      { label: 'CPU s per GiB', value: (r) => (r.cpuS / (fixtureOf(r.variant).bytes / MB)) * 1024, digits: 1 },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
      { label: 'redactions', value: (r) => r.redactions, digits: 0 },
      { label: 'CPU vs no-redact', value: (r, base) => r.cpuS / fixtureOf(r.variant).bytes / (base.cpuS / bench.fixture.bytes), digits: 3, unit: '×' },
    ],
    aim: [
      { variant: 'joblogs', column: 'CPU vs no-redact', atMost: AIM_CPU_RATIO },
      { variant: 'secrets', column: 'CPU vs no-redact', atMost: AIM_CPU_RATIO },
    ],
    context: { fixture: bench.fixture, secrets },
  });
  const wrong = result.runs.filter((r) => r.variant === 'secrets' && r.result.redactions !== secrets.secrets);
  if (wrong.length > 0) throw new Error(`secrets: ${secrets.secrets} printed, but the final chunk counted ${wrong.map((r) => r.result.redactions).join(', ')}`);
  console.log(`every \`secrets\` round: ${secrets.secrets} secrets printed = the final chunk's redactions`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, mb: { type: 'string', default: '200' } } });
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(mb) || mb < 1) throw new Error('--mb must be a positive integer');
  await withLocalStack((stack) => withShipperBench(stack, { name: 'shipper-scrub', bucket: BUCKET, mb }, (bench) => measure(stack, rounds, bench)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
