/**
 * One load run (issue 6, item 4) on the local stack: `jobs` simulated jobs ship through the
 * shipper library for `durationMs` at the mix of scripts/load/mix.ts, into S3 (moto) → bucket
 * notification → SQS → `indexers` runners with the real indexer → Elasticsearch, and job
 * markers → assembler → download files. Every 10 s a window of figures; at the end every
 * shipper is closed, the pipeline drains (bounded) and the invariant is checked for every job.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProvisionedResources, StackInfo } from '../local/stack-file.js';
import { checkInvariant, deleteRunObjects, downloadSample, listKeys } from './check.js';
import { countDocuments, esRequest, FreshnessProber, resetDataStream, type EsEndpoint } from './es.js';
import { SimulatedJob } from './job.js';
import { percentiles } from './metrics.js';
import { meanRate, planJobs } from './mix.js';
import { startPipeline } from './pipeline.js';
import { RateClass, type LoadOptions, type LoadReport, type LoadWindow } from './types.js';

/** The dataset of every simulated job: its own data stream, so counts and clean-up touch nothing else. */
export const LOAD_DATASET = 'mlplatform.load';
const TICK_MS = 100;
const WINDOW_MS = 10_000;
const PROBE_POLL_MS = 1000;

type Stack = StackInfo & { resources: ProvisionedResources };

export async function runLoad(stack: Stack, o: LoadOptions): Promise<LoadReport> {
  const started = Date.now();
  const es: EsEndpoint = stack.elasticsearch;
  const bucket = stack.resources.bucket;
  const dataStream = `logs-${LOAD_DATASET}-${stack.resources.stage}`;
  const aws = { region: stack.region, endpoint: stack.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  // One client for every simulated job (each would have its own): enough sockets that closing 500 shippers at once does not queue warnings.
  const s3 = new S3Client({ ...aws, forcePathStyle: true, requestHandler: { httpAgent: { keepAlive: true, maxSockets: 128 }, socketAcquisitionWarningTimeout: 120_000 } });
  const sqs = new SQSClient(aws);
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-load-spool-'));
  const savedEnv = { ...process.env };
  const prober = new FreshnessProber(es, dataStream);
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  const runLoopDelay = monitorEventLoopDelay({ resolution: 20 });
  const pipeline = await (async () => {
    await resetDataStream(es, dataStream);
    await drainQueues(sqs, [stack.resources.chunkQueueUrl, stack.resources.assembler.queueUrl]);
    return startPipeline(stack, sqs, { indexers: o.indexers, retryDelayS: o.retryDelayS });
  })();
  try {
    const plans = planJobs(o);
    const jobs = plans.map((plan) => new SimulatedJob(plan, { bucket, dataset: LOAD_DATASET, spoolDir, s3, flushIntervalMs: o.flushIntervalMs, probeEveryMs: o.probeEveryMs, onProbe: (id, at) => prober.add(id, at) }));
    for (let i = 0; i < jobs.length; i += 25) await Promise.all(jobs.slice(i, i + 25).map((j) => j.open()));
    o.log(`[load] ${jobs.length} jobs open (${mixLine(plans)}); printing for ${o.durationMs / 1000} s, flush interval ${o.flushIntervalMs} ms, ${o.indexers} indexer runner(s)`);

    // ---- load phase
    const loadStart = Date.now();
    let printedTotal = 0;
    const ticker = setInterval(() => {
      const now = Date.now();
      for (const job of jobs) {
        if (printedTotal >= o.maxLines) break;
        printedTotal += job.tick(now, now - loadStart, o.maxLines - printedTotal);
      }
    }, TICK_MS);
    prober.start(PROBE_POLL_MS);
    loopDelay.enable();
    runLoopDelay.enable();
    const windows: LoadWindow[] = [];
    let last = { at: loadStart, printed: 0, indexed: 0, ages: 0, fresh: 0 };
    let queueDepthMax = 0;
    const takeWindow = async (): Promise<void> => {
      const at = Date.now();
      const q = await pipeline.queues().catch(() => undefined);
      const ages = pipeline.counters.sqsAges.slice(last.ages);
      const fresh = prober.found.slice(last.fresh);
      const w: LoadWindow = {
        atS: Math.round((at - loadStart) / 1000),
        printed: printedTotal - last.printed,
        indexed: pipeline.counters.indexed - last.indexed,
        queueDepth: q?.chunkDepth ?? -1,
        sqsAgeMaxMs: ages.reduce((m, a) => Math.max(m, a.ms), 0),
        freshnessP95Ms: fresh.length ? percentiles(fresh.map((f) => f.ms)).p95 : undefined,
        eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
      };
      loopDelay.reset();
      queueDepthMax = Math.max(queueDepthMax, w.queueDepth);
      windows.push(w);
      const secs = (at - last.at) / 1000;
      o.log(
        `[load] t=${String(w.atS).padStart(4)} s  printed ${Math.round(w.printed / secs)}/s  indexed ${Math.round(w.indexed / secs)}/s  queue ${w.queueDepth}  ` +
          `sqs age max ${(w.sqsAgeMaxMs / 1000).toFixed(1)} s  freshness p95 ${w.freshnessP95Ms === undefined ? '–' : (w.freshnessP95Ms / 1000).toFixed(1) + ' s'}  event loop p99 ${w.eventLoopP99Ms.toFixed(0)} ms`,
      );
      last = { at, printed: printedTotal, indexed: pipeline.counters.indexed, ages: pipeline.counters.sqsAges.length, fresh: prober.found.length };
    };
    const loadEnd = loadStart + o.durationMs;
    while (Date.now() < loadEnd) {
      await sleep(Math.min(WINDOW_MS, loadEnd - Date.now()));
      await takeWindow();
    }
    clearInterval(ticker);
    const loadMs = Date.now() - loadStart;
    const indexedDuringLoad = pipeline.counters.indexed;
    const backlogAtEnd = printedTotal - indexedDuringLoad;

    // ---- drain: final chunks and markers, then wait for the pipeline
    o.log(`[load] jobs stopped: ${printedTotal} lines printed, ${backlogAtEnd} not yet indexed; closing the shippers`);
    await Promise.all(jobs.map((j) => j.close()));
    const drainDeadline = Date.now() + o.drainTimeoutMs;
    let drainS: number | undefined;
    for (;;) {
      const searchable = await countDocuments(es, dataStream, o.jobPrefix).catch(() => -1);
      if (searchable >= printedTotal) {
        drainS = (Date.now() - loadEnd) / 1000;
        break;
      }
      if (Date.now() >= drainDeadline) break;
      if (Date.now() - last.at >= WINDOW_MS) await takeWindow();
      await sleep(1000);
    }
    o.log(drainS === undefined ? `[load] not every line was indexed within the ${o.drainTimeoutMs / 1000} s drain timeout` : `[load] every line indexed ${drainS.toFixed(1)} s after the jobs stopped`);
    for (const until = Date.now() + 5000; prober.outstanding > 0 && Date.now() < until; ) await sleep(500);
    await prober.stop();
    loopDelay.disable();
    runLoopDelay.disable();

    // ---- the invariant
    await esRequest(es, 'POST', `/${dataStream}/_refresh?ignore_unavailable=true`);
    const sample = downloadSample(jobs, o.downloadSample);
    o.log(`[load] checking every job in Elasticsearch and ${sample.size} download file(s)`);
    const invariant = await checkInvariant(jobs, { es, dataStream, s3, bucket, downloads: sample, downloadDeadline: Math.max(drainDeadline, Date.now() + 60_000) });
    await pipeline.stop();
    const queues = await pipeline.queues();
    const deadLetters = await listKeys(s3, bucket, 'dead-letter/', started - 1000);
    const c = pipeline.counters;
    const stats = [...pipeline.indexers, pipeline.assembler].map((r) => r.stats);
    const chunks = jobs.reduce((n, j) => n + j.chunks.length, 0);
    const report: LoadReport = {
      startedAt: new Date(started).toISOString(),
      options: withoutLog(o),
      mix: mixSummary(plans),
      targetLinesPerS: plans.reduce((n, p) => n + meanRate(p), 0),
      printedLinesPerS: printedTotal / (loadMs / 1000),
      indexedLinesPerS: indexedDuringLoad / (loadMs / 1000),
      backlogAtEnd,
      drainS,
      printed: printedTotal,
      chunks,
      chunksPerS: chunks / (loadMs / 1000),
      freshnessMs: { ...percentiles(prober.found.map((f) => f.ms)), unseen: prober.outstanding },
      freshnessDuringLoadMs: percentiles(prober.found.filter((f) => f.at <= loadEnd).map((f) => f.ms)),
      sqsAgeMs: percentiles(c.sqsAges.map((a) => a.ms)),
      sqsAgeDuringLoadMs: percentiles(c.sqsAges.filter((a) => a.at <= loadEnd).map((a) => a.ms)),
      queueDepthMax,
      indexerInvocations: { count: c.invocations, meanRecords: c.sqsAges.length / Math.max(1, c.invocations), meanMs: c.invocationMs / Math.max(1, c.invocations) },
      eventLoopDelayP99Ms: runLoopDelay.percentile(99) / 1e6,
      errors: {
        invocationErrors: stats.reduce((n, s) => n + s.invocationErrors, 0),
        recordsRetried: c.recordsRetried,
        bulkItemsRetried: c.bulkItemsRetried,
        documentsRejected: c.rejected,
        dlqMessages: queues.dlqDepth,
        deadLetterReports: deadLetters.length,
        uploadRetries: jobs.reduce((n, j) => n + j.uploadRetries, 0),
        linesDropped: jobs.reduce((n, j) => n + (j.summary?.dropped ?? 0), 0),
        shipperErrors: jobs.reduce((n, j) => n + j.shipperErrors, 0),
        proberErrors: prober.errors,
        functionWarnings: c.warnings,
        functionErrors: c.errors,
        runnerErrors: c.runnerErrors,
      },
      invariant,
      windows,
      notes: [...c.samples.map((s) => `function log: ${s}`), ...(prober.lastError ? [`last failed freshness search: ${prober.lastError}`] : [])],
      durationS: (Date.now() - started) / 1000,
    };
    return report;
  } finally {
    await pipeline.stop().catch(() => undefined);
    await prober.stop();
    await deleteRunObjects(s3, bucket, o.jobPrefix).catch((error: unknown) => o.log(`[load] could not delete the run's objects: ${String(error)}`));
    await resetDataStream(es, dataStream).catch(() => undefined);
    rmSync(spoolDir, { recursive: true, force: true });
    process.env = savedEnv;
    s3.destroy();
    sqs.destroy();
  }
}

function withoutLog({ log: _log, ...options }: LoadOptions): LoadReport['options'] {
  return options;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function mixSummary(plans: ReturnType<typeof planJobs>): LoadReport['mix'] {
  const mix = { slow: { jobs: 0, meanLinesPerS: 0 }, bursty: { jobs: 0, meanLinesPerS: 0 }, chatty: { jobs: 0, meanLinesPerS: 0 } };
  for (const p of plans) {
    mix[p.rateClass].jobs++;
    mix[p.rateClass].meanLinesPerS += meanRate(p);
  }
  return mix;
}

function mixLine(plans: ReturnType<typeof planJobs>): string {
  const m = mixSummary(plans);
  return Object.values(RateClass).map((k) => `${m[k].jobs} ${k} ≈ ${Math.round(m[k].meanLinesPerS)} lines/s`).join(', ');
}

/** Empties queues left with messages by an earlier, interrupted run (their objects are gone). */
async function drainQueues(sqs: SQSClient, queueUrls: string[]): Promise<void> {
  for (const QueueUrl of queueUrls) {
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }
}
