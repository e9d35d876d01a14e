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
 * - `joblogs` `node joblogs.mjs run … -- node log-printer.ts rate …` with shipper defaults (the
 *             run is shorter than the fresh start, so every line is shipped at `--flush-ms`).
 * - `watched` the same with no fresh start and the idle interval (`--idle-flush-ms`, default
 *             30 s): nobody watches until `--watch-after-s` (default a third of the run), when this
 *             process writes the job's watch signal as the logs API does (and again every 20 s).
 *             Its figures count only the lines printed after that write: freshness while watched,
 *             switching included (the shipper reads the signal every ~10 s). `switch s` is the
 *             time from the write to the first line becoming searchable; `chunks` shows what the
 *             unwatched part saved. `--watch-poll-ms 10000,2000` measures one `watched-<ms>`
 *             variant per poll interval (`--watch-poll-interval`) in the same run.
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
 *                                  [--variants direct,joblogs,watched] [--idle-flush-ms 30000] [--watch-after-s <seconds/3>]
 *                                  [--watch-poll-ms <the shipper's default>[,<ms>…]]
 *   a quiet job watched: tsx bench/shipper-freshness.ts --lines-per-s 2 --seconds 60 --variants direct,watched
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { s3WatchSignalWriter } from '../shared/adapters/s3/watch-signal-writer.js';
import { chunkKey } from '../shared/core/contract/index.js';
import { WATCH_PREFIX, WatchDefaults } from '../shared/core/watch/index.js';
import { ShipperDefaults } from '../shared/shipper/constants.js';
import {
  deletePrefix,
  esRequest,
  eventually,
  FreshnessProber,
  installStageTemplates,
  percentiles,
  resetDataStream,
  type EsTarget,
  type FreshnessSearch,
} from '../testkit/index.js';
import { BENCH_DIR, machineNote, requireNode24, runRounds } from '../testkit/bench/index.js';
import { startLocalPipeline } from '../testkit/pipeline/index.js';
import { loadStack, withLocalStack, type LocalStack } from '../testkit/stack/index.js';
import { buildJoblogs, exited, freshDir, GZIP_LEVEL, parseSummary, printerCommand, spawnJoblogs, stdioTo } from './shipper-common.js';

/** p95 of printed → searchable under joblogs, in seconds. */
const AIM_P95_S = 3;
const JOB_PREFIX = 'bench-freshness-';
const PROBE = /^freshness probe (\d+):/;
/** A stage of its own (the one `indexer-e2e.ts` uses): its data stream never mixes with the `local` stage's documents. */
const STAGE = 'bench';

const VARIANTS = ['direct', 'joblogs', 'watched'] as const;
/** One of {@link VARIANTS}, or `watched-<ms>`: watched with that poll interval. */
type Variant = string;
const isWatched = (variant: Variant) => variant.startsWith('watched');
/** `watched-2000` → 2000; plain `watched`: the shipper's default. */
const watchPollMs = (variant: Variant) => Number(/^watched-(\d+)$/.exec(variant)?.[1] ?? ShipperDefaults.watchPollIntervalMs);

interface Options {
  rounds: number;
  seconds: number;
  linesPerS: number;
  pollMs: number;
  /** Flush interval of both producers (joblogs `--flush-interval`). */
  flushMs: number;
  /** Overrides the template's batching window (to see what it costs). */
  batchingWindowS: number | undefined;
  variants: Variant[];
  /** `watched`: the shipper's interval while nobody watches, and when the watch starts. */
  idleFlushMs: number;
  watchAfterS: number;
}

interface Run {
  lines: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  searches: number;
  /** Chunks the producer uploaded. */
  chunks: number;
  /** `watched`: seconds from the watch signal's first write to the first line searchable after it. */
  switchS: number;
}

/**
 * The job's probes (line numbers) that a search finds: its documents printed at or after the
 * oldest probe not yet seen (a line's `time` is its `@timestamp`), as the user's query would be.
 */
function searchJob(es: EsTarget, dataStream: string, jobId: string): FreshnessSearch<number> {
  const printedAt = new Map<number, number>();
  return async (outstanding) => {
    const oldest = outstanding.keys().next().value;
    const since = oldest === undefined ? undefined : printedAt.get(oldest - 1);
    const query = { bool: { filter: [{ term: { 'labels.job_id': jobId } }, ...(since === undefined ? [] : [{ range: { '@timestamp': { gte: since } } }])] } };
    const body = { size: 10_000, track_total_hits: false, _source: ['message', '@timestamp'], query, sort: [{ '@timestamp': 'asc' }] };
    const out = await esRequest(es, 'POST', `/${dataStream}/_search`, body).catch((error: Error) => {
      // The data stream is created by the first bulk request (404 before, 503 while its shard starts).
      if (/HTTP (404|503)/.test(error.message)) return { hits: { hits: [] } };
      throw error;
    });
    const found: Array<{ key: number; printedAt: number }> = [];
    for (const hit of out.hits.hits as Array<{ _source: { message?: string; '@timestamp'?: string } }>) {
      const probe = Number(PROBE.exec(hit._source.message ?? '')?.[1]);
      if (!Number.isInteger(probe)) continue;
      printedAt.set(probe, Date.parse(hit._source['@timestamp'] ?? ''));
      found.push({ key: probe, printedAt: printedAt.get(probe)! });
    }
    return found;
  };
}

/** One measured run: the producer prints while a prober polls for its lines; every line must become searchable. */
async function measureRun(
  stack: LocalStack,
  run: { variant: Variant; jobId: string; bundle: string; work: string; dataStream: string },
  options: Options,
): Promise<Run> {
  const total = Math.round(options.linesPerS * options.seconds);
  const prober = new FreshnessProber(searchJob(stack, run.dataStream, run.jobId));
  for (let probe = 0; probe < total; probe++) prober.add(probe);
  prober.start(options.pollMs);
  const watch = isWatched(run.variant) ? watchLater(stack, run.jobId, options.watchAfterS * 1000) : undefined;
  let chunks: number;
  try {
    chunks = await (run.variant === 'direct' ? runDirect(stack, run.jobId, options) : runJoblogs(stack, run.bundle, run.jobId, options, run.work, run.variant));
    await eventually(
      () => prober.outstanding,
      (n) => n === 0,
      `every line of ${run.jobId} searchable`,
      120_000,
    );
  } finally {
    watch?.stop();
    await prober.stop();
  }
  // Watched: only the lines printed once the signal was written (printed = found − lag).
  const since = watch?.startedAt() ?? 0;
  const counted = prober.found.filter((f) => f.at - f.ms >= since);
  const lags = percentiles(counted.map((f) => f.ms / 1000));
  const switchS = watch ? (Math.min(...counted.map((f) => f.at)) - since) / 1000 : 0;
  console.error(`[bench] ${run.variant}: p50 ${lags.p50.toFixed(2)} s, p95 ${lags.p95.toFixed(2)} s over ${lags.count} lines, ${chunks} chunks`);
  return { lines: lags.count, p50: lags.p50, p95: lags.p95, p99: lags.p99, max: lags.max, searches: prober.searches, chunks, switchS };
}

/** Writes the job's watch signal after `afterMs` and then as often as the logs API would, until stopped. */
function watchLater(stack: LocalStack, jobId: string, afterMs: number) {
  const writer = s3WatchSignalWriter(stack.s3, { bucket: stack.bucket, prefix: WATCH_PREFIX });
  let startedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const write = () => {
    const now = Date.now();
    startedAt ??= now;
    writer.write(jobId, now, WatchDefaults.signalTtlMs).catch((error: Error) => console.error(`[bench] watch signal not written: ${error.message}`));
    timer = setTimeout(write, WatchDefaults.signalEveryMs);
  };
  timer = setTimeout(write, afterMs);
  return {
    startedAt: () => startedAt ?? Number.POSITIVE_INFINITY,
    stop: () => clearTimeout(timer),
  };
}

/** The baseline producer: chunks sealed `flushMs` after their first line, gzipped, PUT in order. */
async function runDirect(stack: LocalStack, jobId: string, options: Options): Promise<number> {
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
      await stack.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: 'application/gzip', Metadata: { producer: 'bench-direct' } }),
      );
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
  return seq;
}

async function runJoblogs(stack: LocalStack, bundle: string, jobId: string, options: Options, work: string, variant: Variant): Promise<number> {
  const out = stdioTo('/dev/null');
  const cadence = isWatched(variant)
    ? ['--idle-flush-interval', String(options.idleFlushMs), '--fresh-start', '0', '--watch-poll-interval', String(watchPollMs(variant))]
    : [];
  const child = spawnJoblogs(
    {
      bundle,
      jobId,
      bucket: stack.bucket,
      spoolDir: freshDir(path.join(work, 'spool')),
      stack: stack.info,
      extraArgs: ['--flush-interval', String(options.flushMs), ...cadence],
    },
    printerCommand(['rate', '--lines-per-s', String(options.linesPerS), '--seconds', String(options.seconds)]),
    out.stdio,
  );
  const done = await exited(child, 'joblogs run').finally(() => out.close());
  const summary = parseSummary(done.stderr);
  if (!summary || summary.uploaded !== summary.chunks) throw new Error(`joblogs did not upload everything: ${done.stderr.slice(-2000)}`);
  return summary.chunks;
}

async function refreshInterval(stack: LocalStack, dataStream: string): Promise<string> {
  const settings = await esRequest(stack, 'GET', `/${dataStream}/_settings/index.refresh_interval?include_defaults=true&flat_settings=true`);
  const first = Object.values(settings)[0] as { settings?: Record<string, string>; defaults?: Record<string, string> } | undefined;
  return first?.settings?.['index.refresh_interval'] ?? first?.defaults?.['index.refresh_interval'] ?? '?';
}

async function measure(stack: LocalStack, options: Options): Promise<void> {
  requireNode24();
  const bundle = await buildJoblogs();
  const work = freshDir(path.join(BENCH_DIR, 'shipper-freshness'));
  const fn = stack.info.resources.function;
  const dataStream = `logs-mlplatform.job-${STAGE}`;
  await installStageTemplates(stack, STAGE);
  await resetDataStream(stack, dataStream);
  const batchingWindowS = options.batchingWindowS ?? fn.batchingWindowS;
  // The real indexer on the stack's chunk queue, writing into the bench stage's data stream.
  const pipeline = await startLocalPipeline({ stack, indexer: { env: { STAGE }, batchingWindowS }, purge: true });
  const total = Math.round(options.linesPerS * options.seconds);
  const jobIds: string[] = [];
  console.log(`# shipper freshness benchmark — ${machineNote()}, Elasticsearch ${stack.info.elasticsearch.url}, moto ${stack.info.moto.url}`);
  console.log(`job: node bench/log-printer.ts rate: ${options.linesPerS} lines/s for ${options.seconds} s (${total} lines), one write per line`);
  try {
    await runRounds({
      name: 'shipper-freshness',
      variants: options.variants,
      baseline: 'direct',
      rounds: options.rounds,
      measure: (variant, round) => {
        const jobId = `${JOB_PREFIX}${variant}-${round}-${Date.now()}`;
        jobIds.push(jobId);
        return measureRun(stack, { variant, jobId, bundle, work, dataStream }, options);
      },
      columns: [
        { label: 'lines', value: (r) => r.lines, digits: 0 },
        { label: 'p50 s', value: (r) => r.p50, digits: 2 },
        { label: 'p95 s', value: (r) => r.p95, digits: 2 },
        { label: 'p99 s', value: (r) => r.p99, digits: 2 },
        { label: 'max s', value: (r) => r.max, digits: 2 },
        { label: 'searches', value: (r) => r.searches, digits: 0 },
        { label: 'chunks', value: (r) => r.chunks, digits: 0 },
        { label: 'switch s', value: (r) => r.switchS, digits: 2 },
        { label: 'p95 ratio vs direct', value: (r, base) => r.p95 / base.p95, digits: 2, unit: '×' },
      ],
      aim: options.variants.filter((v) => v !== 'direct').map((variant) => ({ variant, column: 'p95 s', atMost: AIM_P95_S })),
      context: { ...options, batchingWindowS },
    });
    const refresh = await refreshInterval(stack, dataStream).catch(() => '?');
    console.log(
      `pipeline: flush interval ${options.flushMs} ms${options.flushMs === ShipperDefaults.flushIntervalMs ? ' (shipper default)' : ', OVERRIDDEN'} (both producers) → S3 → notification → SQS → runner (batch size ${fn.batchSize}, batching window ${batchingWindowS} s${options.batchingWindowS === undefined ? ', from the template' : ', OVERRIDDEN'}) → indexer → ${dataStream} (refresh_interval ${refresh}); polled every ${options.pollMs} ms; seconds from printed to searchable`,
    );
  } finally {
    await pipeline.stop();
    await resetDataStream(stack, dataStream).catch((error: Error) => console.error(`[bench] could not empty ${dataStream}: ${error.message}`));
    for (const jobId of jobIds) await deletePrefix(stack.s3, stack.bucket, `chunks/v1/${jobId}/`).catch(() => undefined);
    freshDir(work);
  }
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
      variants: { type: 'string', default: VARIANTS.join(',') },
      'idle-flush-ms': { type: 'string', default: String(ShipperDefaults.idleFlushIntervalMs) },
      'watch-after-s': { type: 'string' },
      'watch-poll-ms': { type: 'string' },
    },
  });
  const named = values.variants.split(',').map((v) => v.trim());
  if (!named.includes('direct') || named.some((v) => !(VARIANTS as readonly string[]).includes(v)))
    throw new Error(`--variants: direct and any of ${VARIANTS.join(', ')}`);
  const polls = values['watch-poll-ms']?.split(',').map((ms) => Number(ms.trim()));
  if (polls?.some((ms) => !Number.isInteger(ms) || ms < 100)) throw new Error('--watch-poll-ms: integers ≥ 100, comma-separated');
  const variants = named.flatMap((v) => (v === 'watched' && polls ? polls.map((ms) => `watched-${ms}`) : [v]));
  const options: Options = {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    linesPerS: Number(values['lines-per-s']),
    pollMs: Number(values['poll-ms']),
    flushMs: Number(values['flush-ms']),
    batchingWindowS: values['batching-window-s'] === undefined ? undefined : Number(values['batching-window-s']),
    variants,
    idleFlushMs: Number(values['idle-flush-ms']),
    watchAfterS: values['watch-after-s'] === undefined ? Number(values.seconds) / 3 : Number(values['watch-after-s']),
  };
  if (!Number.isInteger(options.idleFlushMs) || options.idleFlushMs < 0) throw new Error('--idle-flush-ms must be an integer ≥ 0');
  if (!(options.watchAfterS >= 0) || options.watchAfterS >= options.seconds) throw new Error('--watch-after-s must be ≥ 0 and less than --seconds');
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
