import type { S3Client } from '@aws-sdk/client-s3';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../shared/adapters/logger.js';
import { s3WatchSignalWriter, type WatchSignalWriter } from '../../shared/adapters/s3/watch-signal-writer.js';
import type { JobSummary } from '../../shared/core/contract/index.js';

/**
 * Records that someone follows a job, so its shippers flush often (docs/logs-api.md, "Watching"):
 * the logs API when it serves a running job's tail or summary, the signer when it answers a running
 * job's logs.
 */
export interface WatchRecorder {
  /** Never throws: a signal that cannot be written costs freshness, never the answer. */
  record(jobId: string): Promise<void>;
}

export interface WatchRecorderOptions {
  writer: WatchSignalWriter;
  /** Job id → when this container last wrote its signal (bounded: an LRU). */
  lastWritten: Pick<LRUCache<string, number>, 'get' | 'set' | 'delete'>;
  /** A job's signal is written at most this often per container. */
  everyMs: number;
  /** How far ahead each write sets `until`. */
  forMs: number;
  now: () => number;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Writes a job's watch signal at most once per `everyMs` per container. The write time is kept
 * before the PUT, so concurrent requests for one job make one write; a failed write forgets it,
 * so the next request tries again.
 */
export function createWatchRecorder(o: WatchRecorderOptions): WatchRecorder {
  return {
    async record(jobId) {
      const now = o.now();
      const last = o.lastWritten.get(jobId);
      if (last !== undefined && now - last < o.everyMs) return;
      o.lastWritten.set(jobId, now);
      try {
        await o.writer.write(jobId, now, o.forMs);
      } catch (error) {
        o.lastWritten.delete(jobId);
        o.logger.warn({ jobId, error: (error as Error).message }, 'watch signal not written: the job stays at its current flush interval');
      }
    },
  };
}

/** The recorder of a function: signals in the log bucket, the last write of up to 10 000 jobs remembered per container. */
export function s3WatchRecorder(
  s3: S3Client,
  o: { bucket: string; watch: { prefix: string; ttlMs: number; everyMs: number }; logger: Pick<Logger, 'warn'> },
): WatchRecorder {
  return createWatchRecorder({
    writer: s3WatchSignalWriter(s3, { bucket: o.bucket, prefix: o.watch.prefix }),
    lastWritten: new LRUCache<string, number>({ max: 10_000 }),
    everyMs: o.watch.everyMs,
    forMs: o.watch.ttlMs,
    now: Date.now,
    logger: o.logger,
  });
}

/** A job worth watching: not every source has written its final marker (or none has started yet). */
export function mayPrintMore(job: JobSummary | undefined): boolean {
  return job?.complete !== true;
}
