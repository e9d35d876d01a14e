/** Defaults of `npm run load` (issue 6: 500 concurrent jobs for 10 minutes). */
export const LoadDefaults = {
  jobs: 500,
  minutes: 10,
  seed: 1,
  /** Shares of the mix (the rest is `slow`). */
  chattyShare: 0.03,
  burstyShare: 0.12,
  rateScale: 1,
  /**
   * Longer than the shipper's 1 s default: 500 jobs at 1 s would be ~500 PUTs (and as many SQS
   * messages and GETs) per second. moto serves every request on one Python core: at 5 s (~100
   * chunks/s) uploads timed out and the chunk queue grew without bound; at 10 s (~50 chunks/s)
   * it kept up on a quiet machine but, once a hiccup let the queue grow, every receive got slower
   * (moto scans the queue) and it never caught up. 20 s (~25 chunks/s) leaves room for a machine
   * that also runs other work. Override with --flush-ms for what-ifs.
   */
  flushIntervalMs: 20_000,
  /** Indexer invocations in parallel (Lambda would scale further); 2 fell behind at ~50 chunks/s. */
  indexers: 4,
  probeEveryMs: 5_000,
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
  indexers: [1, 8],
  drainTimeoutS: [10, 1800],
  maxLines: [1, 50_000_000],
  rateScale: [0.01, 10],
} as const;
