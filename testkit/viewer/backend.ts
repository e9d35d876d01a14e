/**
 * Where the browser tests get their logs API and jobs from. Everything a test needs from the
 * server side goes through `LogsBackend`: today the reference server (viewer/dev), later the local
 * stack's real API — a second implementation of this interface, chosen by
 * `JOBLOGS_VIEWER_BACKEND`, runs the same tests unchanged.
 */
import { BUNDLE_PATH, buildViewer } from '../../../viewer/build.js';
import { JobStore, type StoredJob } from '../../../viewer/dev/job-store.js';
import { startReferenceServer, type ReferenceServer } from '../../../viewer/dev/reference-server.js';
import { createMultiSourceJob, createRunningJob, createTrainingJob } from '../../../viewer/dev/synthetic-jobs.js';

export interface RunningJob {
  jobId: string;
  /** Prints lines (stdout, `\n`-terminated) as the job would. */
  print(lines: string[]): Promise<void>;
  /** Ends the job with this exit code. */
  finish(exitCode: number): Promise<void>;
}

export interface LogsBackend {
  /** The logs API's base URL. */
  apiBase: string;
  /** A bearer token of the user the pages sign in as (alice, team ml). */
  apiToken(): Promise<string>;
  /** The page showing the viewer for a job (a host page that hands the viewer its token). */
  viewerUrl(jobId: string, options?: { hash?: string; theme?: 'light' | 'dark' }): string;
  /** A finished single-source job of 1 000 000 lines (ANSI, tqdm bars, tracebacks; exit code 1). */
  millionLineJob(): Promise<string>;
  /** A finished job of four ranks (a grouped traceback in rank-2, collapsed bars with `redraws`). */
  multiSourceJob(): Promise<string>;
  /** A new running job with 50 lines printed. */
  runningJob(): Promise<RunningJob>;
  /** A job the page's user may not read. */
  otherUsersJob(): Promise<string>;
  /** The next request to the logs API fails with this status (503: the search cluster is down). */
  interruptNextRequest(status: 503): Promise<void>;
  close(): Promise<void>;
}

export async function startBackend(): Promise<LogsBackend> {
  const kind = process.env.JOBLOGS_VIEWER_BACKEND ?? 'reference';
  if (kind === 'reference') return startReferenceBackend();
  throw new Error(`JOBLOGS_VIEWER_BACKEND=${kind}: no such backend (known: reference)`);
}

const PAGE_TOKEN = 'token-alice';

/** The reference server over in-memory jobs (viewer/dev/reference-server.ts). */
export async function startReferenceBackend(): Promise<LogsBackend> {
  await buildViewer();
  const store = new JobStore();
  const tokens = new Map([[PAGE_TOKEN, { sub: 'alice', teams: ['ml'] }]]);
  const server: ReferenceServer = await startReferenceServer({ store, tokens, bundlePath: BUNDLE_PATH, pageToken: PAGE_TOKEN });
  const once = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const million = once(() => createTrainingJob(store, 'train-1m', 1_000_000).jobId);
  const multi = once(() => createMultiSourceJob(store, 'ddp-4').jobId);
  let running = 0;
  return {
    apiBase: server.url,
    apiToken: async () => PAGE_TOKEN,
    viewerUrl: (jobId, options = {}) => `${server.url}/view/${encodeURIComponent(jobId)}${options.theme ? `?theme=${options.theme}` : ''}${options.hash ?? ''}`,
    millionLineJob: async () => million(),
    multiSourceJob: async () => multi(),
    runningJob: async () => runningHandle(createRunningJob(store, `live-${++running}`)),
    otherUsersJob: async () => {
      const job = store.get('someone-elses') ?? store.create({ jobId: 'someone-elses', owner: 'bob', team: 'vision' });
      return job.jobId;
    },
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
