import type { Percentiles } from '../stats.js';

export const RateClass = { slow: 'slow', bursty: 'bursty', chatty: 'chatty' } as const;
export type RateClass = (typeof RateClass)[keyof typeof RateClass];

export interface JobPlan {
  jobId: string;
  rateClass: RateClass;
  /** Lines per second outside bursts. */
  baseRate: number;
  /** Delay of the job's first line after the load starts, so the jobs do not seal in lockstep (planJobs). */
  startOffsetMs: number;
  /** Followed through the logs API's long-poll tail for the whole run (`--watched`). */
  watched: boolean;
  burst?: { rate: number; durationMs: number; everyMs: number; phaseMs: number };
}

export interface MixOptions {
  jobs: number;
  jobPrefix: string;
  seed: number;
  chattyShare: number;
  burstyShare: number;
  rateScale: number;
  /** The shipper's flushIntervalMs for every job (while it is fresh: watched, starting). */
  flushIntervalMs: number;
  /** Its interval while nobody watches (docs/shipper.md, "Fresh when watched"). */
  idleFlushIntervalMs: number;
  /** Share of the jobs followed through the logs API's tail, 0–1. */
  watchedShare: number;
  /** How long the jobs print. */
  durationMs: number;
}

export interface LoadOptions extends MixOptions {
  /** The shippers' fresh start and signal reads (docs/shipper.md, "Fresh when watched"). */
  freshStartMs: number;
  watchPollIntervalMs: number;
  /** Indexer runners polling the chunk queue side by side (Lambda concurrency). */
  indexers: number;
  /** Every job marks its first line after each such interval as a freshness probe. */
  probeEveryMs: number;
  /** How often the outstanding probes are searched for. */
  probePollMs: number;
  /** How long to wait after the last line for everything to be indexed and assembled. */
  drainTimeoutMs: number;
  /** Jobs whose download file is checked (the chattiest and burstiest first); 0 = none, ≥ jobs = all. */
  downloadSample: number;
  /** Stops printing once this many lines were printed in total (a bound on the run's size). */
  maxLines: number;
  /** Failed chunk messages become visible again after this long instead of the queue's visibility timeout. */
  retryDelayS: number;
  /** Progress lines on stdout (every window). */
  log: (line: string) => void;
}

export interface LoadWindow {
  /** Seconds since the load started (end of the window). */
  atS: number;
  printed: number;
  indexed: number;
  /** Chunk queue depth (visible + in flight) at the end of the window. */
  queueDepth: number;
  /** Oldest SQS message age seen by the indexers in the window (ms). */
  sqsAgeMaxMs: number;
  freshnessP95Ms: number | undefined;
  eventLoopP99Ms: number;
}

export interface LoadErrors {
  /** Whole invocations that failed (threw, timed out, malformed response), indexer and assembler. */
  invocationErrors: number;
  /** Chunk messages handed back for redelivery. */
  recordsRetried: number;
  /** Bulk items retried inside an invocation (429/5xx). */
  bulkItemsRetried: number;
  /** Documents Elasticsearch rejected (dead-lettered). */
  documentsRejected: number;
  /** Messages in the chunk and assemble DLQs at the end. */
  dlqMessages: number;
  /** Dead-letter reports written under dead-letter/ during the run. */
  deadLetterReports: number;
  /** Failed shipper upload attempts (retried) and lines the shippers dropped. */
  uploadRetries: number;
  linesDropped: number;
  /** Spool and marker errors of the shippers. */
  shipperErrors: number;
  /** Freshness searches that failed (the probes stay outstanding and are asked for again). */
  proberErrors: number;
  /** Warnings and errors in the functions' own log lines. */
  functionWarnings: number;
  functionErrors: number;
  /** Errors of the runners themselves (SQS calls). */
  runnerErrors: number;
}

export interface LoadReport {
  startedAt: string;
  options: Omit<LoadOptions, 'log'>;
  mix: Record<RateClass, { jobs: number; meanLinesPerS: number }>;
  /** Lines per second the mix asks for, over the load phase. */
  targetLinesPerS: number;
  /** Lines actually printed over the load phase, per second. */
  printedLinesPerS: number;
  /** Documents indexed during the load phase, per second. */
  indexedLinesPerS: number;
  /** Printed but not yet indexed when the jobs stopped. */
  backlogAtEnd: number;
  /** Seconds from the last line until every line was indexed (undefined: not within the drain timeout). */
  drainS: number | undefined;
  printed: number;
  chunks: number;
  chunksPerS: number;
  /** Every probe, including the final chunks of all jobs closing at once. */
  freshnessMs: Percentiles & { unseen: number };
  /** Probes found while the jobs were printing: the steady state. */
  freshnessDuringLoadMs: Percentiles;
  /** Age of chunk messages when an indexer received them (SentTimestamp → invocation). */
  sqsAgeMs: Percentiles;
  sqsAgeDuringLoadMs: Percentiles;
  queueDepthMax: number;
  /** Indexer invocations: how many, mean records per invocation, mean duration. */
  indexerInvocations: { count: number; meanRecords: number; meanMs: number };
  eventLoopDelayP99Ms: number;
  errors: LoadErrors;
  invariant: {
    jobsChecked: number;
    jobsFailed: number;
    printed: number;
    indexed: number;
    missing: number;
    extra: number;
    wrongContent: number;
    downloadsChecked: number;
    downloadsFailed: number;
    problems: string[];
    holds: boolean;
  };
  /** Watched jobs (followed through the logs API's tail) against the others. */
  watch: Record<'watched' | 'unwatched', WatchGroupFigures>;
  windows: LoadWindow[];
  /** What else the run saw worth reading: the first warnings of the functions, a failed search. */
  notes: string[];
  durationS: number;
}

/** One side of the watched/unwatched split of a load run. */
export interface WatchGroupFigures {
  jobs: number;
  /** Chunks uploaded while the jobs printed. */
  chunks: number;
  /** Chunk PUTs per job-hour while the jobs printed (their first `freshStartMs` included). */
  putsPerJobHour: number;
  /** Probes found while the jobs printed. */
  freshnessMs: Percentiles;
  /** Lines the tail followers received (watched only), their failed requests, and the tokens they asked for again after a 401. */
  tailLines: number;
  tailErrors: number;
  tokensRenewed: number;
}
