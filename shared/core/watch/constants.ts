/** The cadence of the watch signal on both sides (docs/shipper.md, "Fresh when watched"). */
export const WatchDefaults = {
  /** How far ahead the logs API sets `until`: a viewer's tail asks again within 20 s, so one missed write does not end the watch. */
  signalTtlMs: 90_000,
  /** The logs API writes a job's signal at most this often per container. */
  signalEveryMs: 20_000,
  /**
   * While a job is idle and prints, the shipper reads its signal about this often (±25 % jitter,
   * so a fleet's reads do not align): the lines printed between a watch's start and the next read
   * wait for that read (docs/cost.md, "The switch").
   */
  pollIntervalMs: 2_000,
  /** While a job is fresh (watched, starting) it reads this often, or `pollIntervalMs` when that is longer. */
  freshPollIntervalMs: 10_000,
  /** An `until` further ahead than this (a writer's clock far ahead) counts as this. */
  maxAheadMs: 10 * 60_000,
} as const;

/** Why the shipper uses the interval it uses. */
export const CadenceReason = {
  /** `idleFlushIntervalMs` is 0 or not longer than `flushIntervalMs`: always fresh, no signal read. */
  alwaysFresh: 'always-fresh',
  /** The process's first `freshStartMs`: a user who launches and watches at once sees lines quickly. */
  starting: 'starting',
  /** Someone follows the job (the signal's `until` is ahead), or the last reads failed while they did. */
  watched: 'watched',
  unwatched: 'unwatched',
} as const;
export type CadenceReason = (typeof CadenceReason)[keyof typeof CadenceReason];
