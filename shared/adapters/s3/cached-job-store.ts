import type { JobStore } from './job-store.js';

export interface JobStoreCacheOptions {
  /** How long a finished job's answers are reused (the file can still be rebuilt, e.g. a gap filled). */
  ttlMs: number;
  /** Jobs kept per container, oldest dropped first. */
  maxJobs: number;
  now: () => number;
}

/**
 * Remembers, per container and for a short while, what only changes rarely: the markers of a job
 * whose sources are all final and a download file that is complete. A UI polling a finished job
 * then costs no S3 request; a running job is always read afresh.
 */
export function cachedJobStore(inner: JobStore, o: JobStoreCacheOptions): JobStore {
  const jobs = new Map<string, { at: number; value: Awaited<ReturnType<JobStore['readJob']>> }>();
  const downloads = new Map<string, { at: number; value: Awaited<ReturnType<JobStore['headDownload']>> }>();
  const fresh = <V>(cache: Map<string, { at: number; value: V }>, key: string): { value: V } | undefined => {
    const hit = cache.get(key);
    if (!hit) return undefined;
    if (o.now() - hit.at >= o.ttlMs) {
      cache.delete(key);
      return undefined;
    }
    return hit;
  };
  const keep = <V>(cache: Map<string, { at: number; value: V }>, key: string, value: V) => {
    cache.delete(key);
    cache.set(key, { at: o.now(), value });
    if (cache.size > o.maxJobs) cache.delete(cache.keys().next().value!);
  };
  return {
    async readJob(jobId) {
      const hit = fresh(jobs, jobId);
      if (hit) return hit.value;
      const value = await inner.readJob(jobId);
      if (value.registration && value.job?.complete && value.invalid.length === 0) keep(jobs, jobId, value);
      return value;
    },
    async headDownload(jobId) {
      const hit = fresh(downloads, jobId);
      if (hit) return hit.value;
      const value = await inner.headDownload(jobId);
      if (value?.metadata.status === 'complete') keep(downloads, jobId, value);
      return value;
    },
  };
}
