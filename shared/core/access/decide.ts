import type { DownloadMetadata } from '../download/index.js';
import type { JobRegistration, JobSummary } from '../contract/index.js';

/**
 * The signer's decisions, free of I/O: who may read a job, and what to hand out for it.
 */

/** The verified caller: the token's `sub` and the teams its teams claim lists. */
export interface Caller {
  subject: string;
  teams: readonly string[];
}

/** What the signer knows about a job's download file (`HeadObject`). */
export interface DownloadFile {
  metadata: Pick<DownloadMetadata, 'owner' | 'team' | 'status'>;
  lastModified: Date | undefined;
}

export type Access = { allowed: true; via: 'owner' | 'team' } | { allowed: false; reason: 'not-owner-or-team' };

/**
 * Allowed when the caller is the owner the job's registration names, or in its team. Nothing a
 * job writes (markers, chunk metadata) takes part: the registration is written by the launcher,
 * in a prefix producers cannot write.
 */
export function decideAccess(caller: Caller, registration: Pick<JobRegistration, 'owner' | 'team'>): Access {
  if (caller.subject === registration.owner) return { allowed: true, via: 'owner' };
  if (registration.team !== undefined && caller.teams.includes(registration.team)) return { allowed: true, via: 'team' };
  return { allowed: false, reason: 'not-owner-or-team' };
}

/**
 * A download file is handed out only when the owner and team it was built for are the job's
 * registered ones (the assembler stamps them from the registration); any other file is treated
 * as not there.
 */
export function downloadMatches<D extends DownloadFile>(download: D | undefined, registration: Pick<JobRegistration, 'owner' | 'team'>): D | undefined {
  return download && download.metadata.owner === registration.owner && download.metadata.team === registration.team ? download : undefined;
}

/** Teams from a claim that is a JSON array of strings or one space-separated string (OAuth `scope` style). */
export function teamsFromClaim(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string' && t.length > 0);
  return [];
}

export const LogsStatus = { complete: 'complete', running: 'running', notFound: 'not-found' } as const;
export type LogsStatus = (typeof LogsStatus)[keyof typeof LogsStatus];

export interface DownloadPlan {
  status: typeof LogsStatus.complete | typeof LogsStatus.running;
  /** Sign a URL for the existing file. */
  sign: boolean;
  /** Ask the assembler for a fresh partial file. */
  requestAssembly: boolean;
  detail: string | undefined;
}

export interface PlanOptions {
  now: number;
  /** A partial file younger than this is served as is: it is at most this stale. */
  refreshAfterMs: number;
  /** When this container last asked for this job's assembly (undefined: never). */
  lastRequestedAt: number | undefined;
}

/**
 * complete: every source wrote its final marker and the file is complete. running: anything
 * else — a live job gets what has been assembled so far (rebuilt on demand, at most once per
 * `refreshAfterMs`), a finished job waits for its final assembly.
 */
export function planDownload(job: JobSummary | undefined, download: DownloadFile | undefined, o: PlanOptions): DownloadPlan {
  if (!job) return { status: 'running', sign: false, requestAssembly: false, detail: 'The job is registered but none of its sources has started yet.' };
  if (job.complete) {
    if (download?.metadata.status === 'complete') return { status: 'complete', sign: true, requestAssembly: false, detail: undefined };
    return {
      status: 'running',
      sign: download !== undefined,
      requestAssembly: false,
      detail: download
        ? 'The job has finished and its complete log file is being assembled; this link is to the lines assembled before it finished.'
        : 'The job has finished and its log file is being assembled; ask again in a moment.',
    };
  }
  const fileAge = download?.lastModified ? o.now - download.lastModified.getTime() : Infinity;
  const requestedAgo = o.lastRequestedAt === undefined ? Infinity : o.now - o.lastRequestedAt;
  const requestAssembly = fileAge >= o.refreshAfterMs && requestedAgo >= o.refreshAfterMs;
  const pending = requestAssembly || requestedAgo < o.refreshAfterMs;
  const parts = ['The job is still running.'];
  if (download) parts.push(`This link is to the lines assembled up to ${download.lastModified?.toISOString() ?? 'a moment ago'}.`);
  else parts.push('No lines have been assembled yet.');
  if (pending) parts.push('A fresh partial log file has been requested; ask again in a few seconds for newer lines.');
  return { status: 'running', sign: download !== undefined, requestAssembly, detail: parts.join(' ') };
}
