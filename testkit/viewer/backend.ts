/**
 * Where the viewer's browser tests and its benchmark get their logs API and jobs from. Everything
 * they need from the server side goes through `LogsBackend`, so the same tests run against:
 * - `stack` (the default): the real logs API and signer of the local stack (stack-backend.ts);
 * - `reference`: the reference server of viewer/dev over in-memory jobs (reference-backend.ts),
 *   which also serves what the real API does not have yet (grouped `span` events, collapsed
 *   `redraws` and `GET /jobs/{jobId}/redraws`: issue 14).
 * `JOBLOGS_VIEWER_BACKEND` chooses, unless a test names one.
 */
import { startReferenceBackend } from './reference-backend.js';
import { startStackBackend } from './stack-backend.js';

export const BACKENDS = ['stack', 'reference'] as const;
export type BackendKind = (typeof BACKENDS)[number];

export interface RunningJob {
  jobId: string;
  /** Prints lines (stdout, `\n`-terminated) as the job would; resolves once they are written. */
  print(lines: string[]): Promise<void>;
  /**
   * Another source's lines, captured at `capturedAt` (epoch ms, +1 ms per line) but only shipped and
   * indexed now: a chunk that comes late, after lines printed later were shown (docs/logs-api.md,
   * "Late lines in the merged order"); resolves once they are searchable. Only a backend that
   * indexes sources apart has late chunks: the reference server keeps one printed order, so it has
   * no such method.
   */
  printLate?(source: string, lines: string[], capturedAt: number): Promise<void>;
  /** Ends the job with this exit code. */
  finish(exitCode: number): Promise<void>;
}

export interface ViewerUrlOptions {
  hash?: string;
  theme?: 'light' | 'dark';
  /** `held`: the host page holds the token already (in its HTML) instead of asking its token URL. */
  session?: 'held';
}

/** The host page's query for {@link ViewerUrlOptions}. */
export function viewerQuery(options: ViewerUrlOptions): string {
  const query = new URLSearchParams();
  if (options.theme) query.set('theme', options.theme);
  if (options.session) query.set('session', options.session);
  return query.size > 0 ? `?${query}` : '';
}

export interface LogsBackend {
  kind: BackendKind;
  /** The logs API's base URL. */
  apiBase: string;
  /** A bearer token of the user the pages sign in as (alice, team ml). */
  apiToken(): Promise<string>;
  /** The page showing the viewer for a job (a host page that hands the viewer its token). */
  viewerUrl(jobId: string, options?: ViewerUrlOptions): string;
  /** The finished 1 000 000-line training job (viewer/dev/synthetic-jobs.ts: trainingLine; exit code 1). */
  millionLineJob(): Promise<string>;
  /** A finished job of four ranks (rank-2 fails with a traceback at its lines 3001–3006). */
  multiSourceJob(): Promise<string>;
  /** A new running job with 50 lines printed (and readable). */
  runningJob(): Promise<RunningJob>;
  /** A finished job whose documents have aged out of the cluster: answered from its archive (docs/archive.md). */
  archivedJob(): Promise<string>;
  /** A job the page's user may not read. */
  otherUsersJob(): Promise<string>;
  /** The next request to the logs API fails with this status (503: the search cluster is down). */
  interruptNextRequest(status: 503): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Default: `JOBLOGS_VIEWER_BACKEND`, else `stack`. */
  kind?: BackendKind;
  /**
   * Names this run's fixture jobs on the local stack: backends of the same run (the test files of
   * one `vitest run`) share them, each shipped once. Default: a new name (ship everything).
   */
  run?: string;
  /** Extra pages on the API's origin (path → HTML), e.g. a benchmark's baselines. */
  pages?: Map<string, string>;
}

/** The backend `JOBLOGS_VIEWER_BACKEND` names (default `stack`). */
export function backendKind(): BackendKind {
  const kind = process.env['JOBLOGS_VIEWER_BACKEND'] ?? 'stack';
  if (!(BACKENDS as readonly string[]).includes(kind)) throw new Error(`JOBLOGS_VIEWER_BACKEND=${kind}: no such backend (known: ${BACKENDS.join(', ')})`);
  return kind as BackendKind;
}

export function startBackend(o: BackendOptions = {}): Promise<LogsBackend> {
  return (o.kind ?? backendKind()) === 'reference' ? startReferenceBackend(o) : startStackBackend(o);
}
