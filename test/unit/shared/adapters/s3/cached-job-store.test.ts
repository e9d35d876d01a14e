import { describe, expect, it } from 'vitest';
import { cachedJobStore } from '../../../../../shared/adapters/s3/cached-job-store.js';
import type { DownloadInfo, JobStore } from '../../../../../shared/adapters/s3/job-store.js';
import { summariseJob, type JobMarker } from '../../../../../shared/core/contract/index.js';

const marker = (status: 'running' | 'final'): JobMarker => ({
  version: 1,
  jobId: 'job-1',
  source: 'main',
  status,
  startedAt: '2026-11-25T10:00:00.000Z',
  ...(status === 'final' ? { lastSeq: 0, lineCount: 1, endedAt: '2026-11-25T10:01:00.000Z' } : {}),
});
const download = (status: 'complete' | 'partial'): DownloadInfo => ({
  key: 'downloads/job-1.log.gz',
  lastModified: undefined,
  size: 10,
  metadata: { owner: 'alice', team: undefined, lineCount: 1, gaps: 0, missingChunks: 0, status, sources: 1, chunks: 1 },
});

function store(state: { marker: JobMarker; download: DownloadInfo | undefined }) {
  const calls = { readJob: 0, readRegistration: 0, headDownload: 0 };
  const registration = (jobId: string) => ({ version: 1 as const, jobId, owner: 'alice', createdAt: '2026-11-25T09:59:00.000Z' });
  const inner: JobStore = {
    async readJob(jobId) {
      calls.readJob++;
      return { registration: registration(jobId), job: summariseJob(jobId, [state.marker]), invalid: [] };
    },
    async readRegistration(jobId) {
      calls.readRegistration++;
      return registration(jobId);
    },
    async headDownload() {
      calls.headDownload++;
      return state.download;
    },
  };
  return { inner, calls };
}

describe('cachedJobStore', () => {
  it('reuses a finished job and its complete file until the TTL passes', async () => {
    let now = 1_000;
    const { inner, calls } = store({ marker: marker('final'), download: download('complete') });
    const jobs = cachedJobStore(inner, { ttlMs: 30_000, maxJobs: 10, now: () => now });
    for (let i = 0; i < 5; i++) {
      expect((await jobs.readJob('job-1')).job?.complete).toBe(true);
      expect((await jobs.headDownload('job-1'))?.metadata.status).toBe('complete');
    }
    expect(calls).toEqual({ readJob: 1, readRegistration: 0, headDownload: 1 });
    now = 31_001;
    await jobs.readJob('job-1');
    await jobs.headDownload('job-1');
    expect(calls).toEqual({ readJob: 2, readRegistration: 0, headDownload: 2 });
  });

  it('always reads a running job and a partial or missing file afresh', async () => {
    const state = { marker: marker('running'), download: download('partial') as DownloadInfo | undefined };
    const { inner, calls } = store(state);
    const jobs = cachedJobStore(inner, { ttlMs: 30_000, maxJobs: 10, now: () => 0 });
    await jobs.readJob('job-1');
    await jobs.readJob('job-1');
    await jobs.headDownload('job-1');
    state.download = undefined;
    expect(await jobs.headDownload('job-1')).toBeUndefined();
    expect(calls).toEqual({ readJob: 2, readRegistration: 0, headDownload: 2 });
  });

  it('never caches a registration read alone: a purge must be seen at once', async () => {
    const { inner, calls } = store({ marker: marker('final'), download: undefined });
    const cached = cachedJobStore(inner, { ttlMs: 60_000, maxJobs: 10, now: () => 0 });
    await cached.readJob('job-1');
    expect(await cached.readRegistration('job-1')).toMatchObject({ owner: 'alice' });
    await cached.readRegistration('job-1');
    expect(calls.readRegistration).toBe(2);
  });

  it('keeps at most maxJobs, dropping the oldest', async () => {
    const { inner, calls } = store({ marker: marker('final'), download: download('complete') });
    const jobs = cachedJobStore(inner, { ttlMs: 30_000, maxJobs: 2, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'a']) await jobs.readJob(id);
    expect(calls.readJob).toBe(4);
  });
});
