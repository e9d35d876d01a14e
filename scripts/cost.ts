/**
 * The cost model from the command line (shared/core/cost, docs/cost.md):
 *
 *   npm run cost -- --jobs 500 --lines-per-s 1 --bytes-per-line 100     # per job-hour, per GB, per month
 *   npm run cost:measure [-- --seconds 60]                              # refresh docs/cost-measured.json on the local stack
 *
 * Options: --job-hours (how long a job runs), --flush-s (the shipper's flush interval), --stage
 * (whose retention params to use, serverless.yml), --prices <file.json> (your own list prices).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cloudWatchJobHour,
  jobHourCost,
  LIST_PRICES,
  type CostBreakdown,
  type MeasuredCosts,
  type Policy,
  type Prices,
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

function positive(name: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return value;
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
      stage: { type: 'string', default: 'default' },
      prices: { type: 'string' },
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
  const ours = jobHourCost(workload, policy, measured, prices);
  const batching = jobHourCost(workload, { ...policy, flushIntervalS: BATCHING_FLUSH_S }, measured, prices);
  const cloudWatch = cloudWatchJobHour(workload, policy.searchRetentionDays, prices);
  show(`joblogs, flush every ${flushS} s`, ours, jobs);
  show(`joblogs with a shipper that batches for ${BATCHING_FLUSH_S / 60} minutes`, batching, jobs);
  show(`CloudWatch Logs, kept ${policy.searchRetentionDays} days`, cloudWatch, jobs);
  console.log(
    `\njoblogs vs CloudWatch Logs: ${(ours.totalUsd / cloudWatch.totalUsd).toFixed(2)}× per job-hour (10-minute batching: ${(batching.totalUsd / cloudWatch.totalUsd).toFixed(2)}×)`,
  );
}

main().catch((error: unknown) => {
  console.error('[cost] failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
