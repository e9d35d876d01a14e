import { downloadFileName } from '../../shared/core/download/download-file.js';
import { describeError, isPermanent } from '../../shared/core/errors.js';
import { jobDiscoverLinks } from '../../shared/core/access/kibana.js';
import { decideAccess, LogsStatus, planDownload, teamsFromClaim, type Caller } from '../../shared/core/access/decide.js';
import type { SignerDeps } from './deps.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import type { LogsRequest } from './request.js';

/** A running job's partial file is rebuilt on demand at most this often (per job and container). */
export const PARTIAL_REFRESH_MS = 30_000;

/** The body of `GET /jobs/{jobId}/logs`. */
export interface JobLogsBody {
  status: LogsStatus;
  downloadUrl: string | null;
  expiresAt: string | null;
  kibanaUrl: string | null;
  kibanaTraceUrl: string | null;
  detail?: string;
}

/** What was decided, for the request's log line: ids and outcomes only, never the URL or the token. */
export interface JobLogsOutcome {
  jobId: string;
  subject: string;
  status: LogsStatus;
  via?: 'owner' | 'team';
  signed: boolean;
  assemblyRequested: boolean;
  assemblyRequestFailed?: string;
}

export interface JobLogsResult {
  statusCode: 200 | 404;
  body: JobLogsBody;
  outcome: JobLogsOutcome;
}

/**
 * Verifies the caller, reads the job's markers and download file, decides, and signs. Throws
 * {@link UnauthorizedError} / {@link ForbiddenError} for callers who may not see the job; an
 * unknown job is a 404 answer, not an error.
 */
export async function getJobLogs({ jobId, token }: LogsRequest, deps: SignerDeps): Promise<JobLogsResult> {
  const caller = await authenticate(token, deps);
  const [{ job, invalid }, download] = await Promise.all([deps.jobs.readJob(jobId), deps.jobs.headDownload(jobId)]);
  if (invalid.length > 0) deps.logger.warn({ jobId, invalid }, 'unreadable job markers skipped');
  const outcome: JobLogsOutcome = { jobId, subject: caller.subject, status: LogsStatus.notFound, signed: false, assemblyRequested: false };
  if (!job) {
    const body: JobLogsBody = { status: LogsStatus.notFound, downloadUrl: null, expiresAt: null, kibanaUrl: null, kibanaTraceUrl: null, detail: 'No job with this id has been recorded' };
    return { statusCode: 404, body, outcome };
  }

  const access = decideAccess(caller, job, download);
  if (!access.allowed) {
    throw new ForbiddenError('You may not read the logs of this job', { details: { jobId, subject: caller.subject, reason: access.reason } });
  }
  outcome.via = access.via;

  const now = deps.now();
  const plan = planDownload(job, download, { now, refreshAfterMs: PARTIAL_REFRESH_MS, lastRequestedAt: deps.throttle.lastRequestedAt(jobId) });
  outcome.status = plan.status;
  let detail = plan.detail;
  if (plan.requestAssembly) {
    try {
      await deps.assembly.send({ jobId, partial: true });
      deps.throttle.recordRequest(jobId, now);
      outcome.assemblyRequested = true;
    } catch (error) {
      // The link to what exists is still worth handing out; the next call asks again.
      outcome.assemblyRequestFailed = describeError(error).message;
      detail = download
        ? 'The job is still running. This link is to the lines assembled so far; newer lines could not be requested just now, ask again shortly.'
        : 'The job is still running. Its lines could not be requested for assembly just now; ask again shortly.';
    }
  }

  const signed =
    plan.sign && download
      ? await deps.urls.sign(download.key, { fileName: downloadFileName(jobId), expiresInS: deps.config.urlExpirySeconds, now: new Date(now) })
      : undefined;
  outcome.signed = signed !== undefined;
  const links = jobDiscoverLinks(job, { kibanaUrl: deps.config.kibana.url, dataViewId: deps.config.kibana.dataViewId });
  const body: JobLogsBody = {
    status: plan.status,
    downloadUrl: signed?.url ?? null,
    expiresAt: signed?.expiresAt.toISOString() ?? null,
    kibanaUrl: links.kibanaUrl,
    kibanaTraceUrl: links.kibanaTraceUrl,
  };
  if (detail) body.detail = detail;
  return { statusCode: 200, body, outcome };
}

async function authenticate(token: string, deps: SignerDeps): Promise<Caller> {
  try {
    const claims = await deps.verifyToken(token);
    return { subject: claims.sub, teams: teamsFromClaim(claims[deps.config.jwt.teamsClaim]) };
  } catch (error) {
    // A token the verifier refuses is the caller's problem (401); keys that cannot be fetched are ours (503).
    if (isPermanent(error)) throw new UnauthorizedError(error.message, { tokenSent: true, cause: error });
    throw error;
  }
}
