/**
 * What one hour of one job costs on this pipeline, item by item, next to CloudWatch Logs for the
 * same output (docs/cost.md). Pure: the workload, the shipping policy, the figures measured on the
 * local stack (`MeasuredCosts`, `npm run cost:measure`) and the prices are all parameters.
 *
 * @example
 * const ours = jobHourCost({ linesPerS: 1, bytesPerLine: 100, jobHours: 4 }, DEFAULT_POLICY, measured, LIST_PRICES);
 * const cw = cloudWatchJobHour({ linesPerS: 1, bytesPerLine: 100, jobHours: 4 }, 30, LIST_PRICES);
 */
import type { Prices } from './prices.js';

export interface Workload {
  linesPerS: number;
  /** Average printed bytes per line, newline included. */
  bytesPerLine: number;
  /** How long a job runs: what is paid once per job (markers, registration, the download file) is spread over it. */
  jobHours: number;
}

/** How the shipper seals chunks and how long each tier keeps what it holds. */
export interface Policy {
  /** The flush interval while fresh (watched, or starting); without `watch`, always. */
  flushIntervalS: number;
  /** Fresh when watched (docs/shipper.md): undefined = every chunk every `flushIntervalS`, no watch signal. */
  watch?: WatchPolicy | undefined;
  maxChunkBytes: number;
  chunkRetentionDays: number;
  downloadRetentionDays: number;
  searchRetentionDays: number;
}

/** The shipper's unwatched cadence and what the watch signal itself costs. */
export interface WatchPolicy {
  /** The flush interval while nobody watches. */
  idleFlushIntervalS: number;
  /** Share of a job's hours someone follows it (0–1). */
  watchedFraction: number;
  /** Fresh at the start of each job, watched or not. */
  freshStartS: number;
  /** While idle, the shipper reads the signal (one S3 GET) this often — as long as the job prints; a silent job reads nothing. */
  pollIntervalS: number;
  /** While fresh (watched, starting), this often. */
  freshPollIntervalS: number;
  /** The logs API writes the signal (one S3 PUT) this often while someone follows the job. */
  signalEveryS: number;
}

/** Per-chunk and per-job figures measured on the local stack (docs/cost-measured.json). */
export interface MeasuredCosts {
  measuredAt: string;
  machine: string;
  s3: { putsPerChunk: number; getsPerChunk: number; putsPerJob: number; getsPerJob: number; listsPerJob: number };
  sqs: { requestsPerChunk: number; requestsPerJob: number };
  lambda: {
    indexer: { invocationsPerChunk: number; msPerInvocation: number; msPerMiB: number; memoryMb: number };
    assembler: { invocationsPerJob: number; msPerInvocation: number; msPerMiB: number; memoryMb: number };
  };
  /** Bytes on the search cluster's disk (one copy, after merging) per byte printed. */
  searchBytesPerRawByte: number;
  /** Gzip bytes per printed byte, chunks and download file alike. */
  gzipRatio: number;
}

export interface CostItem {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostBreakdown {
  items: CostItem[];
  totalUsd: number;
  /** Printed bytes of one job-hour, in GB (10^9). */
  rawGb: number;
  usdPerGb: number;
}

const GB = 1e9;
const MIB = 1024 * 1024;
const DAYS_PER_MONTH = 30;

/** Seconds of a job-hour the shipper is fresh: watched, plus its fresh start spread over the job's hours. */
export function freshSecondsPerHour(w: Workload, p: Policy): number {
  if (!p.watch) return 3600;
  return Math.min(3600, p.watch.watchedFraction * 3600 + p.watch.freshStartS / w.jobHours);
}

/**
 * Chunks a job-hour makes: one per flush interval (fresh or idle, for the seconds of each), more
 * when lines fill a chunk sooner, never more than one per line.
 */
export function chunksPerHour(w: Workload, p: Policy): number {
  const lines = w.linesPerS * 3600;
  const bySize = (w.linesPerS * w.bytesPerLine * 3600) / p.maxChunkBytes;
  const fresh = freshSecondsPerHour(w, p);
  const idle = p.watch ? (3600 - fresh) / Math.max(p.watch.idleFlushIntervalS, p.flushIntervalS) : 0;
  return Math.min(lines, Math.max(fresh / p.flushIntervalS + idle, bySize));
}

/**
 * Requests for the watch signal per job-hour: the shipper's GETs (one source; idle, at most one
 * per poll interval — a job that prints in every one) and the logs API's PUTs while watched.
 */
export function watchRequestsPerHour(w: Workload, p: Policy): { gets: number; puts: number } {
  if (!p.watch) return { gets: 0, puts: 0 };
  const fresh = freshSecondsPerHour(w, p);
  return {
    gets: fresh / p.watch.freshPollIntervalS + (3600 - fresh) / p.watch.pollIntervalS,
    puts: (p.watch.watchedFraction * 3600) / p.watch.signalEveryS,
  };
}

function breakdown(items: CostItem[], rawBytes: number): CostBreakdown {
  const totalUsd = items.reduce((sum, i) => sum + i.usd, 0);
  const rawGb = rawBytes / GB;
  return { items, totalUsd, rawGb, usdPerGb: rawGb > 0 ? totalUsd / rawGb : 0 };
}

/** One job-hour on this pipeline: requests, compute and the storage of what the hour printed, for as long as each tier keeps it. */
export function jobHourCost(w: Workload, p: Policy, m: MeasuredCosts, prices: Prices): CostBreakdown {
  const rawBytes = w.linesPerS * w.bytesPerLine * 3600;
  const chunks = chunksPerHour(w, p);
  const perJob = 1 / w.jobHours;
  const puts = chunks * m.s3.putsPerChunk + perJob * m.s3.putsPerJob;
  const gets = chunks * m.s3.getsPerChunk + perJob * (m.s3.getsPerJob + m.s3.listsPerJob);
  const sqs = chunks * m.sqs.requestsPerChunk + perJob * m.sqs.requestsPerJob;
  const ix = m.lambda.indexer;
  const as = m.lambda.assembler;
  const indexerInvocations = chunks * ix.invocationsPerChunk;
  const assemblerInvocations = perJob * as.invocationsPerJob;
  const indexerSeconds = (indexerInvocations * ix.msPerInvocation + (rawBytes / MIB) * ix.msPerMiB) / 1000;
  const assemblerSeconds = (assemblerInvocations * as.msPerInvocation + (rawBytes / MIB) * as.msPerMiB) / 1000;
  const gbSeconds = indexerSeconds * (ix.memoryMb / 1024) + assemblerSeconds * (as.memoryMb / 1024);
  const gzGb = (rawBytes * m.gzipRatio) / GB;
  const s3GbMonths = gzGb * ((p.chunkRetentionDays + p.downloadRetentionDays) / DAYS_PER_MONTH);
  const searchGbMonths = ((rawBytes * m.searchBytesPerRawByte) / GB) * (1 + prices.search.replicas) * (p.searchRetentionDays / DAYS_PER_MONTH);
  const watch = watchRequestsPerHour(w, p);
  const watchItems: CostItem[] = p.watch
    ? [
        { item: 'S3 GET (watch signal reads)', quantity: watch.gets, unit: 'requests', usd: (watch.gets / 1000) * prices.s3.getPer1000 },
        { item: 'S3 PUT (watch signal writes)', quantity: watch.puts, unit: 'requests', usd: (watch.puts / 1000) * prices.s3.putPer1000 },
      ]
    : [];
  return breakdown(
    [
      { item: 'S3 PUT', quantity: puts, unit: 'requests', usd: (puts / 1000) * prices.s3.putPer1000 },
      { item: 'S3 GET/LIST', quantity: gets, unit: 'requests', usd: (gets / 1000) * prices.s3.getPer1000 },
      ...watchItems,
      { item: 'SQS', quantity: sqs, unit: 'requests', usd: (sqs / 1e6) * prices.sqs.perMillionRequests },
      {
        item: 'Lambda requests',
        quantity: indexerInvocations + assemblerInvocations,
        unit: 'invocations',
        usd: ((indexerInvocations + assemblerInvocations) / 1e6) * prices.lambda.perMillionRequests,
      },
      { item: 'Lambda compute', quantity: gbSeconds, unit: 'GB-s', usd: gbSeconds * prices.lambda.gbSecond },
      { item: 'S3 storage (chunks + download file)', quantity: s3GbMonths, unit: 'GB-month', usd: s3GbMonths * prices.s3.storageGbMonth },
      { item: 'search cluster storage', quantity: searchGbMonths, unit: 'GB-month', usd: searchGbMonths * prices.search.storageGbMonth },
    ],
    rawBytes,
  );
}

/** The same job-hour's output in CloudWatch Logs: ingestion, and storage for `retentionDays`. */
export function cloudWatchJobHour(w: Workload, retentionDays: number, prices: Prices): CostBreakdown {
  const rawBytes = w.linesPerS * w.bytesPerLine * 3600;
  const gbMonths = (rawBytes / GB) * prices.cloudwatch.storedFraction * (retentionDays / DAYS_PER_MONTH);
  return breakdown(
    [
      { item: 'CloudWatch Logs ingestion', quantity: rawBytes / GB, unit: 'GB', usd: (rawBytes / GB) * prices.cloudwatch.ingestPerGb },
      { item: 'CloudWatch Logs storage', quantity: gbMonths, unit: 'GB-month', usd: gbMonths * prices.cloudwatch.storageGbMonth },
    ],
    rawBytes,
  );
}

/**
 * Bytes of a job's archive (docs/archive.md: its documents as gzip NDJSON, plus the index) per
 * printed byte. Measured by `npm run bench -- archive` (bench/archive.ts) on the synthetic training
 * log, 2026-11-29 (977 961 documents of 1 000 000 lines: 20.0 MB + a 136 KB index for 71.4 MB printed);
 * a parameter, like the prices.
 */
export const ARCHIVE_BYTES_PER_RAW_BYTE = 0.28;

/** What one GB printed costs to keep for a month in each tier, and what the archive saves for a job kept `keptDays`. */
export interface StorageTiers {
  /** Search cluster: bytes on disk per printed byte × (1 + replicas) × storage price. */
  searchUsdPerGbMonth: number;
  /** S3 Standard: the archive's bytes per printed byte × storage price. */
  archiveUsdPerGbMonth: number;
  /** The download file (kept anyway, the same S3 Standard). */
  downloadUsdPerGbMonth: number;
  /** Per GB printed, kept `keptDays`: all of it in the cluster, or `searchDays` in the cluster and the rest answered from the archive. */
  keptInCluster: number;
  keptTiered: number;
  keptDays: number;
  searchDays: number;
}

/**
 * Storage per GB-month of both tiers and the saving of serving aged-out jobs from S3: a job kept
 * `keptDays` costs `keptDays / 30` GB-months of cluster storage with every copy, or `searchDays`
 * of that plus `keptDays` of the archive in S3 (it is written when the job ends and kept as long
 * as the job is readable).
 *
 * @example
 * const t = storageTiers(measured, LIST_PRICES, { keptDays: 90, searchDays: 7 });
 * t.keptInCluster / t.keptTiered; // how many times cheaper the tiered history is
 */
export function storageTiers(m: MeasuredCosts, prices: Prices, o: { keptDays: number; searchDays: number; archiveBytesPerRawByte?: number }): StorageTiers {
  const searchUsdPerGbMonth = m.searchBytesPerRawByte * (1 + prices.search.replicas) * prices.search.storageGbMonth;
  const archiveUsdPerGbMonth = (o.archiveBytesPerRawByte ?? ARCHIVE_BYTES_PER_RAW_BYTE) * prices.s3.storageGbMonth;
  const months = (days: number) => days / DAYS_PER_MONTH;
  const searchDays = Math.min(o.searchDays, o.keptDays);
  return {
    searchUsdPerGbMonth,
    archiveUsdPerGbMonth,
    downloadUsdPerGbMonth: m.gzipRatio * prices.s3.storageGbMonth,
    keptInCluster: searchUsdPerGbMonth * months(o.keptDays),
    keptTiered: searchUsdPerGbMonth * months(searchDays) + archiveUsdPerGbMonth * months(o.keptDays),
    keptDays: o.keptDays,
    searchDays,
  };
}
