/**
 * Defaults of `npm run load`: 300 concurrent jobs for 10 minutes, 5 % of them followed. Issue 6
 * ran 500 jobs when every job sealed every 20 s (~25 chunks/s). With fresh when watched, 500 jobs
 * with 10 % (or even 4 %) followed are ~65 (~36) chunk PUTs a second plus ~50 signal reads, which
 * moto — every S3 and SQS request on one Python core, measured at 93 % of it — cannot serve on
 * the 2-core reference machine: the chunk queue grew to thousands and indexing fell to a few
 * chunks a second as moto slowed with its backlog (2026-12-02). 300 jobs with 5 % followed
 * (~20 chunks/s) held 97 % of the printed rate. `--jobs 500 --watched 10%` on a bigger machine.
 */
export const LoadDefaults = {
  jobs: 300,
  minutes: 10,
  seed: 1,
  /** Shares of the mix (the rest is `slow`). */
  chattyShare: 0.03,
  burstyShare: 0.12,
  rateScale: 1,
  /**
   * The shipper's cadence (docs/shipper.md, "Fresh when watched"): chunks every second while a job
   * is watched, every 30 s otherwise. 300 jobs with 5 % watched are ~15 + 10 chunk PUTs per second
   * (and as many SQS messages and GETs). moto serves every request on one Python core: before
   * fresh-when-watched every job sealed by one interval, and at 5 s (~100 chunks/s) uploads timed
   * out and the chunk queue grew without bound, at 10 s (~50 chunks/s) it kept up on a quiet
   * machine but never caught up after a hiccup, so the run used 20 s (~25 chunks/s). If moto falls
   * behind, lower --watched or raise --idle-flush-ms.
   */
  flushIntervalMs: 1000,
  idleFlushIntervalMs: 30_000,
  /** Share of the jobs followed through the logs API's long-poll tail for the whole run (`--watched 5%`). */
  watchedShare: 0.05,
  /** 0, not the shipper's 60 s: the run starts every job within its first 30 s, and 300 fresh starts would be up to ~300 chunks/s for a minute; a real fleet's starts are spread out further. */
  freshStartMs: 0,
  /**
   * Not the shipper's 2 s: 285 unwatched jobs would send moto ~140 signal GETs per second. Watched
   * jobs are followed from their start, so this only delays their one switch, at the start.
   */
  watchPollIntervalMs: 10_000,
  /** Indexer invocations in parallel (Lambda would scale further); 2 fell behind at ~50 chunks/s. */
  indexers: 4,
  probeEveryMs: 5_000,
  /**
   * How often the outstanding probes are searched for (one `ids` query for all of them). A probe's
   * figure is an upper bound by up to one poll: at 1 s that added ~0.5 s to the median and up to
   * 1 s to the p95 the watched jobs are judged by (the benchmarks poll every 100 ms).
   */
  probePollMs: 250,
  drainTimeoutS: 600,
  downloadSample: 50,
  maxLines: 20_000_000,
  retryDelayS: 10,
} as const;

/** Hard bounds: the run stays a bounded thing whatever the flags say. */
export const LoadBounds = {
  jobs: [1, 2000],
  minutes: [0.05, 60],
  flushIntervalMs: [100, 60_000],
  idleFlushIntervalMs: [0, 600_000],
  freshStartMs: [0, 600_000],
  watchPollIntervalMs: [100, 600_000],
  watchedShare: [0, 1],
  indexers: [1, 8],
  drainTimeoutS: [10, 1800],
  maxLines: [1, 50_000_000],
  rateScale: [0.01, 10],
} as const;
