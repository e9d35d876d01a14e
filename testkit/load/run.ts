/**
 * One load run (issue 6, item 4) on the local stack: `jobs` simulated jobs ship through the
 * shipper library for `durationMs` at the mix of testkit/load/mix.ts, into S3 (moto) → bucket
 * notification → SQS → `indexers` runners with the real indexer → Elasticsearch, and job
 * markers → assembler → download files. Every 10 s a window of figures; at the end every
 * shipper is closed, the pipeline drains (bounded) and the invariant is checked for every job.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countDocuments, refresh, resetDataStream, type EsEndpoint } from '../es.js';
import { FreshnessProber, searchByIds } from '../freshness.js';
import { listKeys } from '../s3.js';
import { percentiles } from '../stats.js';
import { localS3Client, localSqsClient, type ProvisionedStack } from '../stack/index.js';
import { checkInvariant, deleteRunObjects, downloadSample } from './check.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../http/index.js';
import { discardSink } from '../log-sink.js';
import { TailFollower } from './follower.js';
import { startLoadFunctions, type LoadFunctions } from './functions.js';
import { SimulatedJob } from './job.js';
import { meanRate, planJobs } from './mix.js';
import { Timeline, WINDOW_MS } from './timeline.js';
import { RateClass, type JobPlan, type LoadOptions, type LoadReport, type WatchGroupFigures } from './types.js';

/** The dataset of every simulated job: its own data stream, so counts and clean-up touch nothing else. */
export const LOAD_DATASET = 'mlplatform.load';
const TICK_MS = 100;
/** The registry's owner of every simulated job, and so the followers' user. */
const OWNER = 'load';

/** What the run shares between its phases. */
interface Run {
  o: LoadOptions;
  es: EsEndpoint;
  s3: S3Client;
  bucket: string;
  dataStream: string;
  functions: LoadFunctions;
  prober: FreshnessProber;
  jobs: SimulatedJob[];
  /** Probes (document ids) of the watched jobs. */
  watchedProbes: Set<string>;
  /** One per watched job, by job id. */
  followers: Map<string, TailFollower>;
}

/**
 * Runs the load and returns its figures and the invariant's verdict; whatever happens, the run's
 * objects, documents and spool are removed and the runners stopped.
 *
 * @example
 * const report = await runLoad(readStackFile(), { ...LoadDefaults, jobs: 20, durationMs: 20_000, … });
 * if (!report.invariant.holds) process.exitCode = 1;
 */
export async function runLoad(stack: ProvisionedStack, o: LoadOptions): Promise<LoadReport> {
  const started = Date.now();
  const es: EsEndpoint = stack.elasticsearch;
  const bucket = stack.resources.bucket;
  const dataStream = `logs-${LOAD_DATASET}-${stack.resources.stage}`;
  // One client for every simulated job (each would have its own): enough sockets that closing 500 shippers at once does not queue warnings.
  const s3 = localS3Client(stack, { requestHandler: { httpAgent: { keepAlive: true, maxSockets: 128 }, socketAcquisitionWarningTimeout: 120_000 } });
  const sqs = localSqsClient(stack);
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-load-spool-'));
  const prober = new FreshnessProber(searchByIds(es, dataStream));
  let functions: LoadFunctions | undefined;
  let api: { idp: LocalIssuer; http?: HttpApi } | undefined;
  try {
    await resetDataStream(es, dataStream);
    functions = await startLoadFunctions(stack, sqs, { indexers: o.indexers, retryDelayS: o.retryDelayS });
    const plans = planJobs(o);
    const watchedProbes = new Set<string>();
    const jobs = plans.map(
      (plan) =>
        new SimulatedJob(plan, {
          bucket,
          dataset: LOAD_DATASET,
          spoolDir,
          s3,
          flushIntervalMs: o.flushIntervalMs,
          idleFlushIntervalMs: o.idleFlushIntervalMs,
          freshStartMs: o.freshStartMs,
          watchPollIntervalMs: o.watchPollIntervalMs,
          probeEveryMs: o.probeEveryMs,
          onProbe: (id, at) => {
            prober.add(id, at);
            if (plan.watched) watchedProbes.add(id);
          },
        }),
    );
    for (let i = 0; i < jobs.length; i += 25) await Promise.all(jobs.slice(i, i + 25).map((j) => j.open()));
    const watched = plans.filter((p) => p.watched);
    let followers = new Map<string, TailFollower>();
    if (watched.length > 0) {
      api = { idp: await startIssuer({ audience: stack.resources.logsApi.environment['JWT_AUDIENCE']! }) };
      api.http = await startLocalApi({ stack, issuer: api.idp.issuer, logStream: discardSink() });
      const idp = api.idp;
      const token = () => idp.token({ sub: OWNER, teams: [OWNER] });
      followers = new Map(watched.map((p) => [p.jobId, new TailFollower({ apiUrl: api!.http!.url, jobId: p.jobId, token })]));
      for (const follower of followers.values()) follower.start();
    }
    o.log(
      `[load] ${jobs.length} jobs open (${mixLine(plans)}), ${watched.length} followed through the logs API's tail; printing for ${o.durationMs / 1000} s, chunks every ${o.flushIntervalMs} ms watched, ${o.idleFlushIntervalMs} ms not, ${o.indexers} indexer runner(s)`,
    );
    const run: Run = { o, es, s3, bucket, dataStream, functions, prober, jobs, watchedProbes, followers };
    const load = await printFor(run);
    const drain = await drainPipeline(run, load);
    await refresh(es, dataStream);
    const sample = downloadSample(jobs, o.downloadSample);
    o.log(`[load] checking every job in Elasticsearch and ${sample.size} download file(s)`);
    const invariant = await checkInvariant(jobs, {
      es,
      dataStream,
      s3,
      bucket,
      downloads: sample,
      downloadDeadline: Math.max(drain.deadline, Date.now() + 60_000),
    });
    await functions.pipeline.stop();
    const deadLetters = await listKeys(s3, bucket, 'dead-letter/', started - 1000);
    return buildReport(run, { started, plans, load, drain, invariant, dlqDepth: (await functions.queues()).dlqDepth, deadLetters: deadLetters.length });
  } finally {
    await api?.http?.close().catch(() => undefined);
    await api?.idp.close().catch(() => undefined);
    await functions?.pipeline.stop().catch(() => undefined);
    await prober.stop();
    await deleteRunObjects(s3, bucket, o.jobPrefix).catch((error: unknown) => o.log(`[load] could not delete the run's objects: ${String(error)}`));
    await resetDataStream(es, dataStream).catch(() => undefined);
    rmSync(spoolDir, { recursive: true, force: true });
    s3.destroy();
    sqs.destroy();
  }
}

interface LoadPhase {
  start: number;
  end: number;
  printed: number;
  indexed: number;
  timeline: Timeline;
  /** Chunks each job had uploaded when the jobs stopped printing. */
  chunksDuringLoad: number[];
}

/** The jobs print for `durationMs`, one tick every 100 ms; a window of figures every 10 s. */
async function printFor({ o, jobs, functions, prober }: Run): Promise<LoadPhase> {
  const start = Date.now();
  let printed = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const job of jobs) {
      if (printed >= o.maxLines) break;
      printed += job.tick(now, now - start, o.maxLines - printed);
    }
  }, TICK_MS);
  prober.start(o.probePollMs);
  const timeline = new Timeline({ functions, prober, printed: () => printed, log: o.log, start });
  const end = start + o.durationMs;
  while (Date.now() < end) {
    await sleep(Math.min(WINDOW_MS, end - Date.now()));
    await timeline.take();
  }
  clearInterval(ticker);
  const chunksDuringLoad = jobs.map((j) => j.chunks.length);
  return { start, end: Date.now(), printed, indexed: functions.counters.indexed, timeline, chunksDuringLoad };
}

/** Closes every shipper (final chunks and markers), then waits until every line is searchable or the drain timeout passes. */
async function drainPipeline({ o, es, dataStream, jobs, prober, followers }: Run, load: LoadPhase): Promise<{ seconds: number | undefined; deadline: number }> {
  o.log(`[load] jobs stopped: ${load.printed} lines printed, ${load.printed - load.indexed} not yet indexed; closing the shippers`);
  await Promise.all(jobs.map((j) => j.close()));
  const deadline = Date.now() + o.drainTimeoutMs;
  let seconds: number | undefined;
  while (seconds === undefined && Date.now() < deadline) {
    const searchable = await countDocuments(es, dataStream, { prefix: { 'labels.job_id': `${o.jobPrefix}-` } }).catch(() => -1);
    if (searchable >= load.printed) seconds = (Date.now() - load.end) / 1000;
    else {
      if (load.timeline.due) await load.timeline.take();
      await sleep(1000);
    }
  }
  o.log(
    seconds === undefined
      ? `[load] not every line was indexed within the ${o.drainTimeoutMs / 1000} s drain timeout`
      : `[load] every line indexed ${seconds.toFixed(1)} s after the jobs stopped`,
  );
  for (const until = Date.now() + 5000; prober.outstanding > 0 && Date.now() < until; ) await sleep(500);
  await Promise.all([...followers.values()].map((f) => f.finish(30_000)));
  await prober.stop();
  load.timeline.stop();
  return { seconds, deadline };
}

function buildReport(
  { o, jobs, functions, prober, watchedProbes, followers }: Run,
  r: {
    started: number;
    plans: JobPlan[];
    load: LoadPhase;
    drain: { seconds: number | undefined };
    invariant: LoadReport['invariant'];
    dlqDepth: number;
    deadLetters: number;
  },
): LoadReport {
  const c = functions.counters;
  const stats = [...functions.pipeline.indexers, functions.pipeline.assembler!].map((runner) => runner.stats);
  const loadS = (r.load.end - r.load.start) / 1000;
  const chunks = jobs.reduce((n, j) => n + j.chunks.length, 0);
  const sum = (f: (j: SimulatedJob) => number) => jobs.reduce((n, j) => n + f(j), 0);
  return {
    startedAt: new Date(r.started).toISOString(),
    options: withoutLog(o),
    mix: mixSummary(r.plans),
    targetLinesPerS: r.plans.reduce((n, p) => n + meanRate(p), 0),
    printedLinesPerS: r.load.printed / loadS,
    indexedLinesPerS: r.load.indexed / loadS,
    backlogAtEnd: r.load.printed - r.load.indexed,
    drainS: r.drain.seconds,
    printed: r.load.printed,
    chunks,
    chunksPerS: chunks / loadS,
    freshnessMs: { ...percentiles(prober.found.map((f) => f.ms)), unseen: prober.outstanding },
    freshnessDuringLoadMs: percentiles(prober.found.filter((f) => f.at <= r.load.end).map((f) => f.ms)),
    sqsAgeMs: percentiles(c.sqsAges.map((a) => a.ms)),
    sqsAgeDuringLoadMs: percentiles(c.sqsAges.filter((a) => a.at <= r.load.end).map((a) => a.ms)),
    queueDepthMax: r.load.timeline.queueDepthMax,
    indexerInvocations: {
      count: c.invocations,
      meanRecords: c.sqsAges.length / Math.max(1, c.invocations),
      meanMs: c.invocationMs / Math.max(1, c.invocations),
    },
    eventLoopDelayP99Ms: r.load.timeline.eventLoopDelayP99Ms,
    errors: {
      invocationErrors: stats.reduce((n, s) => n + s.invocationErrors, 0),
      recordsRetried: c.recordsRetried,
      bulkItemsRetried: c.bulkItemsRetried,
      documentsRejected: c.rejected,
      dlqMessages: r.dlqDepth,
      deadLetterReports: r.deadLetters,
      uploadRetries: sum((j) => j.uploadRetries),
      linesDropped: sum((j) => j.summary?.dropped ?? 0),
      shipperErrors: sum((j) => j.shipperErrors),
      proberErrors: prober.errors,
      functionWarnings: c.warnings,
      functionErrors: c.errors,
      runnerErrors: c.runnerErrors,
    },
    invariant: r.invariant,
    watch: watchSplit({ jobs, prober, watchedProbes, followers }, r.load),
    windows: r.load.timeline.windows,
    notes: [
      ...c.samples.map((s) => `function log: ${s}`),
      ...(prober.lastError ? [`last failed freshness search: ${prober.lastError}`] : []),
      ...[...followers.values()]
        .filter((f) => f.lastError)
        .slice(0, 3)
        .map((f) => `tail follower: ${f.lastError}`),
    ],
    durationS: (Date.now() - r.started) / 1000,
  };
}

/** Watched jobs against the others: chunk PUTs per job-hour and freshness while the jobs printed. */
function watchSplit(
  { jobs, prober, watchedProbes, followers }: Pick<Run, 'jobs' | 'prober' | 'watchedProbes' | 'followers'>,
  load: LoadPhase,
): LoadReport['watch'] {
  const hours = (load.end - load.start) / 3_600_000;
  const group = (watched: boolean): WatchGroupFigures => {
    const members = jobs.map((j, i) => ({ j, chunks: load.chunksDuringLoad[i]! })).filter(({ j }) => j.plan.watched === watched);
    const chunks = members.reduce((n, m) => n + m.chunks, 0);
    const found = prober.found.filter((f) => f.at <= load.end && watchedProbes.has(f.key) === watched);
    const tails = watched ? members.map(({ j }) => followers.get(j.plan.jobId)!) : [];
    return {
      jobs: members.length,
      chunks,
      putsPerJobHour: members.length === 0 ? 0 : chunks / (members.length * hours),
      freshnessMs: percentiles(found.map((f) => f.ms)),
      tailLines: tails.reduce((n, t) => n + t.lines, 0),
      tailErrors: tails.reduce((n, t) => n + t.errors, 0),
      tokensRenewed: tails.reduce((n, t) => n + t.tokensRenewed, 0),
    };
  };
  return { watched: group(true), unwatched: group(false) };
}

function withoutLog({ log: _log, ...options }: LoadOptions): LoadReport['options'] {
  return options;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function mixSummary(plans: readonly JobPlan[]): LoadReport['mix'] {
  const mix = { slow: { jobs: 0, meanLinesPerS: 0 }, bursty: { jobs: 0, meanLinesPerS: 0 }, chatty: { jobs: 0, meanLinesPerS: 0 } };
  for (const p of plans) {
    mix[p.rateClass].jobs++;
    mix[p.rateClass].meanLinesPerS += meanRate(p);
  }
  return mix;
}

function mixLine(plans: readonly JobPlan[]): string {
  const m = mixSummary(plans);
  return Object.values(RateClass)
    .map((k) => `${m[k].jobs} ${k} ≈ ${Math.round(m[k].meanLinesPerS)} lines/s`)
    .join(', ');
}
