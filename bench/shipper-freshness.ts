/**
 * Freshness: how long from a line being printed to it being searchable in Elasticsearch, through
 * the whole local pipeline, as percentiles per variant and a ratio against a baseline producer
 * measured in the same run (interleaved rounds: direct, joblogs, direct, joblogs…).
 *
 * The job prints `--lines-per-s` pino JSON lines for `--seconds`, one write per line, each with
 * its print time (`time`, epoch ms → `@timestamp`) and its number (`probe`).
 *
 * - `direct`  this process reads the job's stdout and, like the shipper, seals a chunk
 *             `--flush-interval` after its first line, gzips it (`lines` format) and PUTs it:
 *             the floor of S3 → notification → SQS → runner → indexer → refresh, with no shipper.
 * - `joblogs` `node joblogs.mjs run … -- node log-printer.ts rate …` with shipper defaults.
 *
 * Both write into the stack's bucket under `chunks/`, so the bucket notification, the chunk queue,
 * the event-source runner (the real middy handler, batch size and batching window from the
 * packaged template) and the indexer do the rest, as in `npm run demo`; the indexer runs with
 * STAGE=bench, so the documents go to `logs-mlplatform.job-bench` (the stage's index templates,
 * hence the same refresh interval, installed by this benchmark), which is emptied at the end. This process polls Elasticsearch every `--poll-ms`
 * (no explicit refresh) for the job's documents at or after the oldest print time not yet seen;
 * a line's "searchable" time is when the first search response containing it arrived, so the
 * figures are upper bounds by up to one poll interval plus one search.
 * At the end the runs' documents and chunks are deleted.
 *
 *   tsx bench/shipper-freshness.ts [--rounds 2] [--seconds 30] [--lines-per-s 200] [--poll-ms 100]
 *                                  [--flush-ms 1000] [--batching-window-s <template's>]   # what-ifs
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createIndexerHandler } from '../functions/indexer/create-handler.js';
import { startRunner } from '../scripts/local/esm-runner.js';
import { installIndexTemplates } from '../shared/adapters/elasticsearch/templates.js';
import { createLogger } from '../shared/adapters/logger.js';
import { loadIndexerConfig } from '../shared/config/indexer-config.js';
import { chunkKey } from '../shared/core/contract/index.js';
import { ShipperDefaults } from '../shared/shipper/constants.js';
import { indexerEnv, loadStack, purgeQueues, type LocalStack } from '../test/support/stack.js';
import { formatSpread, machineNote, median, printTable, requireNode24, saveResults, spread } from './measure.js';
import { resetDataStream } from './data-stream.js';
import { buildJoblogs, deletePrefix, exited, freshDir, GZIP_LEVEL, parseSummary, printerCommand, spawnJoblogs, stdioTo, withLocalStack } from './shipper-common.js';
import { BENCH_DIR } from './synthetic-log.js';

/** p95 of printed → searchable under joblogs, in seconds. */
const AIM_P95_S = 3;
const JOB_PREFIX = 'bench-freshness-';
const PROBE = /^freshness probe (\d+):/;
/** A stage of its own (the one `indexer-e2e.ts` uses): its data stream never mixes with the `local` stage's documents. */
const STAGE = 'bench';

type Variant = 'direct' | 'joblogs';

interface Options {
  rounds: number;
  seconds: number;
  linesPerS: number;
  pollMs: number;
  /** Flush interval of both producers (joblogs `--flush-interval`). */
  flushMs: number;
  /** Overrides the template's batching window (to see what it costs). */
  batchingWindowS: number | undefined;
}

interface Run {
  round: number;
  variant: Variant;
  lines: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  ratioP95?: number;
  searches: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Polls until every probe of the job is searchable; returns each probe's (searchable − printed) in ms.
 * Starts when the job starts, so the first lines are seen as soon as they can be.
 */
async function watch(stack: LocalStack, dataStream: string, jobId: string, total: number, pollMs: number, giveUpAt: () => number): Promise<{ lags: number[]; searches: number }> {
  const printedAt = new Array<number>(total);
  const seenAt = new Array<number>(total);
  let seen = 0;
  let contiguous = 0;
  let searches = 0;
  while (seen < total) {
    if (Date.now() > giveUpAt()) throw new Error(`${jobId}: only ${seen} of ${total} lines searchable in time`);
    const since = contiguous > 0 ? printedAt[contiguous - 1] : undefined;
    const result = await stack.es
      .search({
        index: dataStream,
        size: 10_000,
        track_total_hits: false,
        _source: ['message', '@timestamp'],
        query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, ...(since === undefined ? [] : [{ range: { '@timestamp': { gte: since } } }])] } },
        sort: [{ '@timestamp': 'asc' }],
      })
      .catch((error: { meta?: { statusCode?: number } }) => {
        // The data stream is created by the first bulk request (404 before, 503 while its shard starts).
        if (error.meta?.statusCode === 404 || error.meta?.statusCode === 503) return undefined;
        throw error;
      });
    const now = Date.now();
    searches++;
    for (const hit of result?.hits.hits ?? []) {
      const doc = hit._source as { message?: string; '@timestamp'?: string };
      const probe = Number(PROBE.exec(doc.message ?? '')?.[1]);
      if (!Number.isInteger(probe) || probe >= total || seenAt[probe] !== undefined) continue;
      seenAt[probe] = now;
      printedAt[probe] = Date.parse(doc['@timestamp'] ?? '');
      seen++;
    }
    while (contiguous < total && seenAt[contiguous] !== undefined) contiguous++;
    if (seen < total) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { lags: seenAt.map((at, i) => at - printedAt[i]!), searches };
}

/** The baseline producer: chunks sealed `flushMs` after their first line, gzipped, PUT in order. */
async function runDirect(stack: LocalStack, jobId: string, options: Options): Promise<void> {
  const [node, ...args] = printerCommand(['rate', '--lines-per-s', String(options.linesPerS), '--seconds', String(options.seconds)]);
  const printer = spawn(node!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  let lines: string[] = [];
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let uploads = Promise.resolve();
  const seal = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const body = gzipSync(`${lines.join('\n')}\n`, { level: GZIP_LEVEL });
    const key = chunkKey({ jobId, source: 'main', seq: seq++ });
    lines = [];
    uploads = uploads.then(async () => {
      await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: 'application/gzip', Metadata: { producer: 'bench-direct' } }));
    });
  };
  printer.stdout!.setEncoding('utf8');
  printer.stdout!.on('data', (text: string) => {
    const parts = (pending + text).split('\n');
    pending = parts.pop()!;
    if (parts.length === 0) return;
    if (lines.length === 0) timer = setTimeout(seal, options.flushMs);
    lines.push(...parts);
  });
  await exited(printer, 'printer');
  seal();
  await uploads;
}

async function runJoblogs(stack: LocalStack, bundle: string, jobId: string, options: Options, work: string): Promise<void> {
  const out = stdioTo('/dev/null');
  const child = spawnJoblogs(
    { bundle, jobId, bucket: stack.bucket, spoolDir: freshDir(path.join(work, 'spool')), stack: stack.info, extraArgs: ['--flush-interval', String(options.flushMs)] },
    printerCommand(['rate', '--lines-per-s', String(options.linesPerS), '--seconds', String(options.seconds)]),
    out.stdio,
  );
  const done = await exited(child, 'joblogs run').finally(() => out.close());
  const summary = parseSummary(done.stderr);
  if (!summary || summary.uploaded !== summary.chunks) throw new Error(`joblogs did not upload everything: ${done.stderr.slice(-2000)}`);
}

async function refreshInterval(stack: LocalStack, dataStream: string): Promise<string> {
  const settings = await stack.es.indices.getSettings({ index: dataStream, name: 'index.refresh_interval', include_defaults: true, flat_settings: true });
  const first = Object.values(settings)[0] as { settings?: Record<string, string>; defaults?: Record<string, string> } | undefined;
  return first?.settings?.['index.refresh_interval'] ?? first?.defaults?.['index.refresh_interval'] ?? '?';
}

async function measure(stack: LocalStack, options: Options): Promise<void> {
  requireNode24();
  const bundle = await buildJoblogs();
  const work = freshDir(path.join(BENCH_DIR, 'shipper-freshness'));
  const env = { ...indexerEnv(stack), S3_FORCE_PATH_STYLE: 'true', STAGE };
  // The SDK clients inside the handler (S3, and SSM through @middy/ssm) read their endpoint and credentials from here.
  Object.assign(process.env, env);
  const fn = stack.info.resources.function;
  const dataStream = `logs-mlplatform.job-${STAGE}`;
  await installIndexTemplates(stack.es, { stage: STAGE, retentionDays: 1 });
  await resetDataStream(stack.es, dataStream);
  const flushMs = options.flushMs;
  const batchingWindowS = options.batchingWindowS ?? fn.batchingWindowS;
  await purgeQueues(stack);
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const runner = await startRunner({
    queueUrl: stack.chunkQueueUrl,
    sqsClient: stack.sqs,
    handler: createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', quiet) }),
    batchSize: fn.batchSize,
    batchingWindowS,
    functionTimeoutS: fn.timeoutS,
    reportBatchItemFailures: fn.reportBatchItemFailures,
    functionName: fn.functionName,
    region: stack.region,
  });
  const total = Math.round(options.linesPerS * options.seconds);
  const runs: Run[] = [];
  const jobIds: string[] = [];
  let refresh = '?';
  try {
    for (let round = 1; round <= options.rounds; round++) {
      let baselineP95 = 0;
      for (const variant of ['direct', 'joblogs'] as const) {
        const jobId = `${JOB_PREFIX}${variant}-${round}-${Date.now()}`;
        jobIds.push(jobId);
        let producerDone = Number.POSITIVE_INFINITY;
        const producer = (variant === 'direct' ? runDirect(stack, jobId, options) : runJoblogs(stack, bundle, jobId, options, work)).finally(() => (producerDone = Date.now()));
        const watched = watch(stack, dataStream, jobId, total, options.pollMs, () => producerDone + 120_000);
        const [, { lags, searches }] = await Promise.all([producer, watched]);
        const sorted = [...lags].sort((a, b) => a - b);
        const p95 = percentile(sorted, 95) / 1000;
        if (variant === 'direct') baselineP95 = p95;
        runs.push({
          round,
          variant,
          lines: lags.length,
          p50: percentile(sorted, 50) / 1000,
          p95,
          p99: percentile(sorted, 99) / 1000,
          max: sorted.at(-1)! / 1000,
          ratioP95: variant === 'joblogs' ? p95 / baselineP95 : undefined,
          searches,
        });
        console.error(`[bench] round ${round} ${variant}: p50 ${runs.at(-1)!.p50.toFixed(2)} s, p95 ${p95.toFixed(2)} s`);
        if (refresh === '?') refresh = await refreshInterval(stack, dataStream).catch(() => '?');
      }
    }
  } finally {
    await runner.stop();
    await resetDataStream(stack.es, dataStream).catch((error: Error) => console.error(`[bench] could not empty ${dataStream}: ${error.message}`));
    for (const jobId of jobIds) await deletePrefix(stack.s3, stack.bucket, `chunks/v1/${jobId}/`).catch(() => undefined);
    freshDir(work);
  }

  console.log(`# shipper freshness benchmark — ${machineNote()}, Elasticsearch ${stack.info.elasticsearch.url}, moto ${stack.info.moto.url}`);
  console.log(`job: node bench/log-printer.ts rate: ${options.linesPerS} lines/s for ${options.seconds} s (${total} lines), one write per line`);
  console.log(
    `pipeline: flush interval ${flushMs} ms${flushMs === ShipperDefaults.flushIntervalMs ? ' (shipper default)' : ', OVERRIDDEN'} (both producers) → S3 → notification → SQS → runner (batch size ${fn.batchSize}, batching window ${batchingWindowS} s${options.batchingWindowS === undefined ? ', from the template' : ', OVERRIDDEN'}) → indexer → ${dataStream} (refresh_interval ${refresh}); polled every ${options.pollMs} ms\n`,
  );
  printTable(
    ['round', 'variant', 'lines', 'p50 s', 'p95 s', 'p99 s', 'max s', 'p95 ratio', 'searches'],
    runs.map((r) => [String(r.round), r.variant, String(r.lines), r.p50.toFixed(2), r.p95.toFixed(2), r.p99.toFixed(2), r.max.toFixed(2), r.ratioP95 === undefined ? '' : r.ratioP95.toFixed(2), String(r.searches)]),
  );
  console.log(`\n## summary: median (min–max) over ${options.rounds} rounds, seconds from printed to searchable\n`);
  const summary = (['direct', 'joblogs'] as const).map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return { variant, p50: spread(mine.map((r) => r.p50)), p95: spread(mine.map((r) => r.p95)), p99: spread(mine.map((r) => r.p99)), ratio: mine[0]?.ratioP95 === undefined ? undefined : spread(mine.map((r) => r.ratioP95!)) };
  });
  printTable(
    ['variant', 'p50 s', 'p95 s', 'p99 s', 'p95 ratio vs direct'],
    summary.map((s) => [s.variant, formatSpread(s.p50, 2), formatSpread(s.p95, 2), formatSpread(s.p99, 2), s.ratio ? `${formatSpread(s.ratio, 2)}×` : '1']),
  );
  const p95 = median(runs.filter((r) => r.variant === 'joblogs').map((r) => r.p95));
  console.log(`\njoblogs: p95 ${p95.toFixed(2)} s from printed to searchable — ${p95 <= AIM_P95_S ? 'meets' : 'ABOVE'} the aim of ≤ ${AIM_P95_S} s`);
  const saved = saveResults('shipper-freshness', { machine: machineNote(), ...options, batchingWindowS, refresh, runs, summary });
  console.log(`raw results: ${path.relative(process.cwd(), saved)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '30' },
      'lines-per-s': { type: 'string', default: '200' },
      'poll-ms': { type: 'string', default: '100' },
      'flush-ms': { type: 'string', default: String(ShipperDefaults.flushIntervalMs) },
      'batching-window-s': { type: 'string' },
    },
  });
  const options: Options = {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    linesPerS: Number(values['lines-per-s']),
    pollMs: Number(values['poll-ms']),
    flushMs: Number(values['flush-ms']),
    batchingWindowS: values['batching-window-s'] === undefined ? undefined : Number(values['batching-window-s']),
  };
  if (!Number.isInteger(options.flushMs) || options.flushMs < 1) throw new Error('--flush-ms must be a positive integer');
  if (options.batchingWindowS !== undefined && !(options.batchingWindowS >= 0)) throw new Error('--batching-window-s must be ≥ 0');
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(options.seconds > 0) || !(options.linesPerS > 0) || !(options.pollMs > 0)) throw new Error('--seconds, --lines-per-s and --poll-ms must be positive');
  await withLocalStack(async (info) => {
    const stack = loadStack(info);
    try {
      await measure(stack, options);
    } finally {
      await stack.close();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
