/**
 * The cost model from the command line (shared/core/cost, docs/cost.md):
 *
 *   npm run cost -- --jobs 500 --lines-per-s 1 --bytes-per-line 100     # per job-hour, per GB, per month
 *   npm run cost:measure [-- --seconds 60]                              # refresh docs/cost-measured.json on the local stack
 *
 * Options: --job-hours (how long a job runs), --flush-s (the shipper's flush interval while fresh),
 * --idle-flush-s (while nobody watches; 0 = always fresh), --watched (share of the hours someone
 * follows a job, 0–1), --watch-poll-s (how often an idle job that prints reads the watch signal),
 * --stage (whose retention params to use, serverless.yml), --prices <file.json> (your own list
 * prices), --kept-days (how long a job stays readable: the storage of both tiers, docs/archive.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pollPolicy, WatchDefaults } from '../shared/core/watch/index.js';
import {
  ARCHIVE_BYTES_PER_RAW_BYTE,
  chunksPerHour,
  cloudWatchJobHour,
  jobHourCost,
  LIST_PRICES,
  storageTiers,
  type CostBreakdown,
  type MeasuredCosts,
  type Policy,
  type Prices,
  type WatchPolicy,
  type Workload,
} from '../shared/core/cost/index.js';
import { ShipperDefaults } from '../shared/shipper/index.js';
import { measureCosts } from '../testkit/cost-measure.js';
import { REPO_ROOT } from '../testkit/index.js';
import { printTable } from '../testkit/bench/index.js';
import { readServerlessYml, stageParam, withLocalStack } from '../testkit/stack/index.js';

const MEASURED_FILE = path.join(REPO_ROOT, 'docs', 'cost-measured.json');
const HOURS_PER_MONTH = 730;
/** A shipper that batches like Fluent Bit's S3 output by default. */
const BATCHING_FLUSH_S = 600;

function positive(name: string, raw: string | undefined, fallback: number, min = Number.MIN_VALUE): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min === Number.MIN_VALUE ? '> 0' : min}, got ${raw}`);
  return value;
}

/** The shipper's defaults for fresh when watched, with the interval and watched share asked for. */
function watchPolicy(idleFlushIntervalS: number, watchedFraction: number, pollIntervalS: number): WatchPolicy {
  return {
    idleFlushIntervalS,
    watchedFraction,
    freshStartS: ShipperDefaults.freshStartMs / 1000,
    pollIntervalS,
    freshPollIntervalS: pollPolicy(pollIntervalS * 1000).freshPollIntervalMs / 1000,
    signalEveryS: WatchDefaults.signalEveryMs / 1000,
  };
}

function policyFor(stage: string, flushIntervalS: number): Policy {
  const yml = readServerlessYml();
  const days = (name: string) => Number(stageParam(yml, stage, name));
  return {
    flushIntervalS,
    maxChunkBytes: ShipperDefaults.maxChunkBytes,
    chunkRetentionDays: days('chunkRetentionDays'),
    downloadRetentionDays: days('downloadRetentionDays'),
    searchRetentionDays: days('logRetentionDays'),
  };
}

/** The stage's idle flush interval (`idleFlushIntervalMs`, which the launcher hands every job), in seconds. */
function stageIdleFlushS(stage: string): number {
  return Number(stageParam(readServerlessYml(), stage, 'idleFlushIntervalMs')) / 1000;
}

const usd = (n: number) => (n >= 1 ? `$${n.toFixed(2)}` : n >= 0.01 ? `$${n.toFixed(4)}` : `$${n.toExponential(2)}`);

function show(title: string, b: CostBreakdown, jobs: number): void {
  console.log(`\n## ${title}\n`);
  printTable(
    ['item', 'per job-hour', 'unit', 'usd per job-hour'],
    b.items.map((i) => [i.item, i.quantity.toPrecision(3), i.unit, usd(i.usd)]),
  );
  console.log(
    `total ${usd(b.totalUsd)} per job-hour · ${usd(b.usdPerGb)} per GB printed · ${usd(b.totalUsd * jobs * HOURS_PER_MONTH)} per month for ${jobs} jobs running all month`,
  );
}

async function measure(seconds: number): Promise<void> {
  await withLocalStack(async (stack) => {
    const measured = await measureCosts(stack, { seconds, log: (line) => console.log(line) });
    writeFileSync(MEASURED_FILE, `${JSON.stringify(measured, null, 2)}\n`);
    console.log(`[cost] wrote ${path.relative(REPO_ROOT, MEASURED_FILE)}`);
    console.log(JSON.stringify(measured, null, 2));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      measure: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      jobs: { type: 'string' },
      'lines-per-s': { type: 'string' },
      'bytes-per-line': { type: 'string' },
      'job-hours': { type: 'string' },
      'flush-s': { type: 'string' },
      'idle-flush-s': { type: 'string' },
      'watch-poll-s': { type: 'string' },
      watched: { type: 'string' },
      stage: { type: 'string', default: 'default' },
      prices: { type: 'string' },
      'kept-days': { type: 'string' },
    },
  });
  if (values.measure) return measure(positive('seconds', values.seconds, 60));
  const workload: Workload = {
    linesPerS: positive('lines-per-s', values['lines-per-s'], 1),
    bytesPerLine: positive('bytes-per-line', values['bytes-per-line'], 100),
    jobHours: positive('job-hours', values['job-hours'], 4),
  };
  const jobs = positive('jobs', values.jobs, 1);
  const prices = values.prices ? (JSON.parse(readFileSync(values.prices, 'utf8')) as Prices) : LIST_PRICES;
  const measured = JSON.parse(readFileSync(MEASURED_FILE, 'utf8')) as MeasuredCosts;
  const flushS = positive('flush-s', values['flush-s'], 1);
  const policy = policyFor(values.stage, flushS);
  console.log(
    `cost model: ${workload.linesPerS} lines/s × ${workload.bytesPerLine} B for ${workload.jobHours} h per job; prices ${prices.region}, ${prices.asOf}`,
  );
  console.log(
    `measured ${measured.measuredAt} (${measured.machine}); retention: chunks ${policy.chunkRetentionDays} d, download files ${policy.downloadRetentionDays} d, search ${policy.searchRetentionDays} d (stage ${values.stage})`,
  );
  const idleS = positive('idle-flush-s', values['idle-flush-s'], stageIdleFlushS(values.stage), 0);
  const pollS = positive('watch-poll-s', values['watch-poll-s'], ShipperDefaults.watchPollIntervalMs / 1000, 0.1);
  const watched = positive('watched', values.watched, 0.1, 0);
  if (watched > 1) throw new Error(`--watched is a share of the hours, 0–1, got ${watched}`);
  const adaptive = idleS > flushS;
  const oursPolicy = adaptive ? { ...policy, watch: watchPolicy(idleS, watched, pollS) } : policy;
  const ours = jobHourCost(workload, oursPolicy, measured, prices);
  const unwatched = jobHourCost(workload, { ...policy, watch: watchPolicy(Math.max(idleS, flushS), 0, pollS) }, measured, prices);
  const always = jobHourCost(workload, policy, measured, prices);
  const batching = jobHourCost(workload, { ...policy, flushIntervalS: BATCHING_FLUSH_S }, measured, prices);
  const cloudWatch = cloudWatchJobHour(workload, policy.searchRetentionDays, prices);
  const title = adaptive
    ? `joblogs, fresh when watched: every ${flushS} s while watched (${(watched * 100).toFixed(0)} % of the hours) and for the first ${ShipperDefaults.freshStartMs / 1000} s, every ${idleS} s otherwise`
    : `joblogs, flush every ${flushS} s`;
  show(title, ours, jobs);
  if (adaptive) {
    show(`joblogs, a job nobody watches (after its fresh start)`, unwatched, jobs);
    show(`joblogs as before fresh-when-watched: every ${flushS} s, always`, always, jobs);
  }
  show(`joblogs with a shipper that batches for ${BATCHING_FLUSH_S / 60} minutes`, batching, jobs);
  show(`CloudWatch Logs, kept ${policy.searchRetentionDays} days`, cloudWatch, jobs);
  const vsCw = (b: CostBreakdown) => `${(b.totalUsd / cloudWatch.totalUsd).toFixed(2)}×`;
  console.log(`\nper job-hour vs CloudWatch Logs: joblogs ${vsCw(ours)} (${chunksPerHour(workload, oursPolicy).toFixed(0)} chunks)`);
  if (adaptive)
    console.log(`  unwatched ${vsCw(unwatched)}; always every ${flushS} s ${vsCw(always)} (${(always.totalUsd / ours.totalUsd).toFixed(1)}× this policy)`);
  console.log(`  10-minute batching ${vsCw(batching)}`);
  showTiers(measured, prices, positive('kept-days', values['kept-days'], 90), policy.searchRetentionDays);
}

/** Storage per GB-month of each tier, and a job kept `keptDays` all in the cluster or aged out to its archive (docs/archive.md). */
function showTiers(measured: MeasuredCosts, prices: Prices, keptDays: number, searchDays: number): void {
  const t = storageTiers(measured, prices, { keptDays, searchDays });
  console.log(`\n## Storage per GB printed (docs/archive.md)\n`);
  printTable(
    ['tier', 'usd per GB-month', 'what'],
    [
      [
        'search cluster',
        usd(t.searchUsdPerGbMonth),
        `${measured.searchBytesPerRawByte.toFixed(2)} B on disk per B printed × ${1 + prices.search.replicas} copies × ${usd(prices.search.storageGbMonth)}`,
      ],
      ['archive (S3 Standard)', usd(t.archiveUsdPerGbMonth), `${ARCHIVE_BYTES_PER_RAW_BYTE} B per B printed × ${usd(prices.s3.storageGbMonth)}`],
      ['download file (S3 Standard)', usd(t.downloadUsdPerGbMonth), `${measured.gzipRatio.toFixed(2)} B per B printed, kept either way`],
    ],
  );
  console.log(
    `a job kept ${keptDays} d: ${usd(t.keptInCluster)} per GB printed all in the cluster, ${usd(t.keptTiered)} with ${t.searchDays} d in the cluster and the archive after (${(t.keptInCluster / t.keptTiered).toFixed(1)}× less)`,
  );
}

main().catch((error: unknown) => {
  console.error('[cost] failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
