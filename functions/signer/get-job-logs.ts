import { downloadFileName } from '../../shared/core/download/download-file.js';
import { describeError } from '../../shared/core/errors.js';
import { jobDiscoverLinks } from '../../shared/core/access/kibana.js';
import { downloadMatches, LogsStatus, planDownload } from '../../shared/core/access/index.js';
import type { SignerDeps } from './deps.js';
import { authorizeJob } from '../http/authorize.js';
import type { JobRequest } from '../http/request.js';
import { mayPrintMore } from '../http/watch-recorder.js';

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
 * Authorises the caller (the one decision of every HTTP function: owner or team of the job's
 * registration), reads the job's download file, decides what to hand out, and signs. An unknown
 * (unregistered) job is a 404 answer, not an error. Asking for a running job's logs records that it
 * is watched, as the logs API's tail does.
 */
export async function getJobLogs(request: JobRequest, deps: SignerDeps): Promise<JobLogsResult> {
  const { jobId } = request;
  const access = await authorizeJob(request, { verifyToken: deps.verifyToken, jobs: deps.jobs, teamsClaim: deps.config.jwt.teamsClaim, logger: deps.logger });
  const outcome: JobLogsOutcome = { jobId, subject: access.caller.subject, status: LogsStatus.notFound, signed: false, assemblyRequested: false };
  if (!access.found) return { statusCode: 404, body: NOT_FOUND_BODY, outcome };
  outcome.via = access.via;
  const { job, registration } = access.record;
  // A file built for anyone but the registered owner and team is never handed out.
  const download = downloadMatches(await deps.jobs.headDownload(jobId), registration);
  const now = deps.now();
  const plan = planDownload(job, download, { now, refreshAfterMs: PARTIAL_REFRESH_MS, lastRequestedAt: deps.throttle.lastRequestedAt(jobId) });
  outcome.status = plan.status;
  // Someone wants a running job's lines: its shippers seal every second for a while, so the next partial file has the latest.
  const watching = plan.status === LogsStatus.running && mayPrintMore(job) ? deps.watch.record(jobId) : undefined;
  const detail = plan.requestAssembly ? await requestAssembly(jobId, download, { deps, now, outcome }) : undefined;
  const signed =
    plan.sign && download
      ? await deps.urls.sign(download.key, { fileName: downloadFileName(jobId), expiresInS: deps.config.urlExpirySeconds, now: new Date(now) })
      : undefined;
  outcome.signed = signed !== undefined;
  const links = job
    ? jobDiscoverLinks(job, { kibanaUrl: deps.config.kibana.url, dataViewId: deps.config.kibana.dataViewId, dashboards: deps.config.kibana.dashboards })
    : { kibanaUrl: null, kibanaTraceUrl: null };
  const body: JobLogsBody = {
    status: plan.status,
    downloadUrl: signed?.url ?? null,
    expiresAt: signed?.expiresAt.toISOString() ?? null,
    kibanaUrl: links.kibanaUrl,
    kibanaTraceUrl: links.kibanaTraceUrl,
  };
  const said = detail ?? plan.detail;
  if (said) body.detail = said;
  await watching;
  return { statusCode: 200, body, outcome };
}

const NOT_FOUND_BODY: JobLogsBody = {
  status: LogsStatus.notFound,
  downloadUrl: null,
  expiresAt: null,
  kibanaUrl: null,
  kibanaTraceUrl: null,
  detail: 'No job with this id has been registered',
};

/** Asks the assembler for a fresh partial file; when that fails, says so (the link to what exists is still worth handing out). */
async function requestAssembly(
  jobId: string,
  download: object | undefined,
  o: { deps: SignerDeps; now: number; outcome: JobLogsOutcome },
): Promise<string | undefined> {
  try {
    await o.deps.assembly.send({ jobId, partial: true });
    o.deps.throttle.recordRequest(jobId, o.now);
    o.outcome.assemblyRequested = true;
    return undefined;
  } catch (error) {
    o.outcome.assemblyRequestFailed = describeError(error).message;
    return download
      ? 'The job is still running. This link is to the lines assembled so far; newer lines could not be requested just now, ask again shortly.'
      : 'The job is still running. Its lines could not be requested for assembly just now; ask again shortly.';
  }
}
