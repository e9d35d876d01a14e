/** The reference server over in-memory jobs (viewer/dev/reference-server.ts) as a `LogsBackend`. */
import { BUNDLE_PATH, buildViewer } from '../../viewer/build.js';
import { JobStore, type StoredJob } from '../../viewer/dev/job-store.js';
import { startReferenceServer } from '../../viewer/dev/reference-server.js';
import { createMultiSourceJob, createRunningJob, createTrainingJob } from '../../viewer/dev/synthetic-jobs.js';
import { viewerQuery, type BackendOptions, type LogsBackend, type RunningJob } from './backend.js';

const PAGE_TOKEN = 'token-alice';

export async function startReferenceBackend(o: Pick<BackendOptions, 'pages'> = {}): Promise<LogsBackend> {
  await buildViewer();
  const store = new JobStore();
  const tokens = new Map([[PAGE_TOKEN, { sub: 'alice', teams: ['ml'] }]]);
  const server = await startReferenceServer({ store, tokens, bundlePath: BUNDLE_PATH, pageToken: PAGE_TOKEN, pages: o.pages });
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const million = once(() => createTrainingJob(store, 'train-1m', 1_000_000).jobId);
  const multi = once(() => createMultiSourceJob(store, 'ddp-4').jobId);
  const archived = once(() => {
    const job = createTrainingJob(store, 'train-archived', 2_000);
    job.archived = true;
    return job.jobId;
  });
  let running = 0;
  return {
    kind: 'reference',
    apiBase: server.url,
    apiToken: async () => PAGE_TOKEN,
    viewerUrl: (jobId, options = {}) => `${server.url}/view/${encodeURIComponent(jobId)}${viewerQuery(options)}${options.hash ?? ''}`,
    millionLineJob: async () => million(),
    multiSourceJob: async () => multi(),
    archivedJob: async () => archived(),
    runningJob: async () => runningHandle(createRunningJob(store, `live-${++running}`)),
    otherUsersJob: async () => (store.get('someone-elses') ?? store.create({ jobId: 'someone-elses', owner: 'bob', team: 'vision' })).jobId,
    interruptNextRequest: async (status) => server.failNext(status, 'UNAVAILABLE'),
    close: () => server.close(),
  };
}

function runningHandle(job: StoredJob): RunningJob {
  return {
    jobId: job.jobId,
    print: async (lines) => {
      for (const text of lines) job.print({ source: 'main', text });
      job.wake();
    },
    finish: async (exitCode) => {
      job.finish('main', exitCode);
      job.wake();
    },
  };
}
