import { describe, expect, it } from 'vitest';
import {
  chunksPerHour,
  cloudWatchJobHour,
  jobHourCost,
  LIST_PRICES,
  storageTiers,
  type MeasuredCosts,
  type Policy,
} from '../../../../../shared/core/cost/index.js';
import { classifyRequest, fitLine } from '../../../../../testkit/cost-measure.js';

const POLICY: Policy = { flushIntervalS: 1, maxChunkBytes: 1024 * 1024, chunkRetentionDays: 7, downloadRetentionDays: 30, searchRetentionDays: 30 };
const MEASURED: MeasuredCosts = {
  measuredAt: 'test',
  machine: 'test',
  s3: { putsPerChunk: 1, getsPerChunk: 2, putsPerJob: 4, getsPerJob: 7, listsPerJob: 3 },
  sqs: { requestsPerChunk: 1.5, requestsPerJob: 4 },
  lambda: {
    indexer: { invocationsPerChunk: 0.25, msPerInvocation: 20, msPerMiB: 1000, memoryMb: 1024 },
    assembler: { invocationsPerJob: 1, msPerInvocation: 65, msPerMiB: 230, memoryMb: 1024 },
  },
  searchBytesPerRawByte: 1.2,
  gzipRatio: 0.15,
};
const item = (b: ReturnType<typeof jobHourCost>, name: string) => b.items.find((i) => i.item === name)!;

describe('chunksPerHour', () => {
  it('is one chunk per flush interval, more when lines fill chunks sooner, never more than the lines', () => {
    expect(chunksPerHour({ linesPerS: 10, bytesPerLine: 100, jobHours: 1 }, POLICY)).toBe(3600);
    expect(chunksPerHour({ linesPerS: 0.1, bytesPerLine: 100, jobHours: 1 }, POLICY)).toBe(360);
    expect(chunksPerHour({ linesPerS: 10_000, bytesPerLine: 200, jobHours: 1 }, POLICY)).toBeCloseTo((10_000 * 200 * 3600) / (1024 * 1024));
    expect(chunksPerHour({ linesPerS: 10, bytesPerLine: 100, jobHours: 1 }, { ...POLICY, flushIntervalS: 600 })).toBe(6);
  });
});

describe('jobHourCost', () => {
  it('prices a quiet job by its requests: one PUT per line-carrying second, a hundred times what CloudWatch charges', () => {
    const quiet = { linesPerS: 1, bytesPerLine: 100, jobHours: 4 };
    const ours = jobHourCost(quiet, POLICY, MEASURED, LIST_PRICES);
    expect(item(ours, 'S3 PUT').quantity).toBe(3600 + 1);
    expect(item(ours, 'S3 PUT').usd).toBeGreaterThan(item(ours, 'search cluster storage').usd * 10);
    expect(ours.totalUsd / cloudWatchJobHour(quiet, 30, LIST_PRICES).totalUsd).toBeGreaterThan(100);
  });

  it('prices a chatty job by its bytes: storage and compute, a fraction of CloudWatch per GB', () => {
    const chatty = { linesPerS: 5000, bytesPerLine: 200, jobHours: 4 };
    const ours = jobHourCost(chatty, POLICY, MEASURED, LIST_PRICES);
    const requests = item(ours, 'S3 PUT').usd + item(ours, 'S3 GET/LIST').usd + item(ours, 'SQS').usd;
    expect(item(ours, 'search cluster storage').usd + item(ours, 'Lambda compute').usd).toBeGreaterThan(requests);
    expect(ours.usdPerGb).toBeLessThan(cloudWatchJobHour(chatty, 30, LIST_PRICES).usdPerGb);
  });

  it('cuts the request items by the batching factor when the shipper flushes every 10 minutes', () => {
    const quiet = { linesPerS: 1, bytesPerLine: 100, jobHours: 1_000_000 };
    const each = jobHourCost(quiet, POLICY, MEASURED, LIST_PRICES);
    const batched = jobHourCost(quiet, { ...POLICY, flushIntervalS: 600 }, MEASURED, LIST_PRICES);
    expect(item(each, 'S3 PUT').quantity / item(batched, 'S3 PUT').quantity).toBeCloseTo(600, 0);
    expect(item(batched, 'search cluster storage').usd).toBe(item(each, 'search cluster storage').usd);
  });

  it("stores what an hour printed for each tier's retention, the search cluster with its replica", () => {
    const w = { linesPerS: 1000, bytesPerLine: 1000, jobHours: 1 };
    const b = jobHourCost(w, POLICY, MEASURED, LIST_PRICES);
    const rawGb = 3.6;
    expect(b.rawGb).toBeCloseTo(rawGb);
    expect(item(b, 'search cluster storage').quantity).toBeCloseTo(rawGb * 1.2 * 2 * (30 / 30));
    expect(item(b, 'S3 storage (chunks + download file)').quantity).toBeCloseTo(rawGb * 0.15 * (37 / 30));
  });
});

describe('the measurement', () => {
  it('tells S3 puts, gets, lists and deletes and SQS actions apart from the wire', () => {
    expect(classifyRequest({ method: 'PUT', path: '/bucket/chunks/v1/j/main/0000000000.log.gz', headers: {} })).toEqual({
      kind: 'put',
      key: 'chunks/v1/j/main/0000000000.log.gz',
    });
    expect(classifyRequest({ method: 'GET', path: '/bucket/jobs/v1/j/main/final.json?x-id=GetObject', headers: {} })).toEqual({
      kind: 'get',
      key: 'jobs/v1/j/main/final.json',
    });
    expect(classifyRequest({ method: 'GET', path: '/bucket?list-type=2&prefix=chunks%2F', headers: {} }).kind).toBe('list');
    expect(classifyRequest({ method: 'POST', path: '/bucket?delete', headers: {} }).kind).toBe('delete');
    expect(classifyRequest({ method: 'POST', path: '/', headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage' } })).toEqual({
      kind: 'sqs',
      key: 'AmazonSQS.ReceiveMessage',
    });
  });

  it('fits a fixed and a per-MiB part to invocation durations', () => {
    expect(
      fitLine([
        [0, 20],
        [1, 1020],
        [2, 2020],
      ]),
    ).toEqual({ a: 20, b: 1000 });
  });
});

describe('fresh when watched', () => {
  const quiet = { linesPerS: 1, bytesPerLine: 100, jobHours: 4 };
  const watch = { idleFlushIntervalS: 30, watchedFraction: 0.1, freshStartS: 60, pollIntervalS: 2, freshPollIntervalS: 10, signalEveryS: 20 };

  it('makes one chunk a second while fresh (watched, and the fresh start spread over the job) and one per idle interval otherwise', () => {
    const fresh = 0.1 * 3600 + 60 / 4;
    expect(chunksPerHour(quiet, { ...POLICY, watch })).toBeCloseTo(fresh + (3600 - fresh) / 30);
    expect(chunksPerHour(quiet, { ...POLICY, watch: { ...watch, watchedFraction: 1 } })).toBe(3600);
  });

  it('prices the signal: a GET per fresh poll while fresh and per idle poll otherwise, a PUT per write while watched', () => {
    const b = jobHourCost(quiet, { ...POLICY, watch }, MEASURED, LIST_PRICES);
    const fresh = 0.1 * 3600 + 60 / 4;
    expect(item(b, 'S3 GET (watch signal reads)').quantity).toBeCloseTo(fresh / 10 + (3600 - fresh) / 2);
    expect(item(b, 'S3 PUT (watch signal writes)').quantity).toBe(18);
  });

  it('cuts an unwatched quiet job-hour more than tenfold, to within ten times CloudWatch from over a hundred', () => {
    const unwatched = jobHourCost(quiet, { ...POLICY, watch: { ...watch, watchedFraction: 0 } }, MEASURED, LIST_PRICES);
    const today = jobHourCost(quiet, POLICY, MEASURED, LIST_PRICES);
    const cw = cloudWatchJobHour(quiet, 30, LIST_PRICES);
    expect(today.totalUsd / unwatched.totalUsd).toBeGreaterThan(10);
    expect(unwatched.totalUsd / cw.totalUsd).toBeLessThan(10);
  });
});

describe('storage of both tiers (docs/archive.md)', () => {
  it('prices a GB-month in the cluster with every copy, and in the archive on S3 Standard', () => {
    const t = storageTiers(MEASURED, LIST_PRICES, { keptDays: 90, searchDays: 30, archiveBytesPerRawByte: 0.2 });
    expect(t.searchUsdPerGbMonth).toBeCloseTo(MEASURED.searchBytesPerRawByte * 2 * 0.122);
    expect(t.archiveUsdPerGbMonth).toBeCloseTo(0.2 * 0.023);
    expect(t.downloadUsdPerGbMonth).toBeCloseTo(MEASURED.gzipRatio * 0.023);
  });

  it('keeps a job 90 days for a month of cluster storage plus 90 days of its archive, instead of 90 days in the cluster', () => {
    const t = storageTiers(MEASURED, LIST_PRICES, { keptDays: 90, searchDays: 30, archiveBytesPerRawByte: 0.2 });
    expect(t.keptInCluster).toBeCloseTo(t.searchUsdPerGbMonth * 3);
    expect(t.keptTiered).toBeCloseTo(t.searchUsdPerGbMonth + t.archiveUsdPerGbMonth * 3);
    expect(t.keptInCluster / t.keptTiered).toBeGreaterThan(2.5);
  });

  it('saves nothing for a job kept no longer than the cluster keeps it (the archive costs a little on top)', () => {
    const t = storageTiers(MEASURED, LIST_PRICES, { keptDays: 7, searchDays: 30 });
    expect(t.searchDays).toBe(7);
    expect(t.keptTiered).toBeGreaterThan(t.keptInCluster);
  });
});
