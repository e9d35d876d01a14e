import { LRUCache } from 'lru-cache';
import type { JobStore } from './job-store.js';

export interface JobStoreCacheOptions {
  /** How long a finished job's answers are reused (the file can still be rebuilt, e.g. a gap filled). */
  ttlMs: number;
  /** Jobs kept per container, least recently used dropped first. */
  maxJobs: number;
  now: () => number;
}

type JobRead = Awaited<ReturnType<JobStore['readJob']>>;
type DownloadHead = NonNullable<Awaited<ReturnType<JobStore['headDownload']>>>;

/**
 * Remembers, per container and for a short while, what only changes rarely: the markers of a job
 * whose sources are all final and a download file that is complete. A UI polling a finished job
 * then costs no S3 request; a running job is always read afresh.
 */
export function cachedJobStore(inner: JobStore, o: JobStoreCacheOptions): JobStore {
  const options = { max: o.maxJobs, ttl: o.ttlMs, ttlResolution: 0, perf: { now: o.now } };
  const jobs = new LRUCache<string, JobRead>(options);
  const downloads = new LRUCache<string, DownloadHead>(options);
  return {
    async readJob(jobId) {
      const hit = jobs.get(jobId);
      if (hit) return hit;
      const value = await inner.readJob(jobId);
      if (value.registration && value.job?.complete && value.invalid.length === 0) jobs.set(jobId, value);
      return value;
    },
    // Never cached: whether a job is still registered is what a purge changes.
    readRegistration: (jobId) => inner.readRegistration(jobId),
    async headDownload(jobId) {
      const hit = downloads.get(jobId);
      if (hit) return hit;
      const value = await inner.headDownload(jobId);
      if (value?.metadata.status === 'complete') downloads.set(jobId, value);
      return value;
    },
  };
}
