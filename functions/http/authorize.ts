import type { VerifyToken } from '../../shared/adapters/auth/jwt-verifier.js';
import type { JobRecord, JobStore } from '../../shared/adapters/s3/job-store.js';
import type { Logger } from '../../shared/adapters/logger.js';
import { decideAccess, teamsFromClaim, type Caller } from '../../shared/core/access/index.js';
import type { JobRegistration } from '../../shared/core/contract/index.js';
import { isPermanent } from '../../shared/core/errors.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';
import type { JobRequest } from './request.js';

export interface JobAccessDeps {
  verifyToken: VerifyToken;
  jobs: JobStore;
  /** The token claim holding the caller's teams. */
  teamsClaim: string;
  logger: Logger;
}

export type AuthorizedJob =
  | { found: false; caller: Caller }
  | { found: true; caller: Caller; via: 'owner' | 'team'; record: JobRecord & { registration: JobRegistration } };

/**
 * The one access decision of every HTTP function (the signer, the logs API): the bearer token is
 * verified, the job's registration — written by the launcher, never by the job — is read, and the
 * caller must be its owner or in its team. A job nobody registered is not found. Throws
 * {@link UnauthorizedError} (401) and {@link ForbiddenError} (403).
 *
 * @example
 * const access = await authorizeJob(parseJobRequest(event), deps);
 * if (!access.found) return notFound();
 * access.record.job; // the markers' summary (status, sources, counts)
 */
export async function authorizeJob({ jobId, token }: JobRequest, deps: JobAccessDeps): Promise<AuthorizedJob> {
  const caller = await authenticate(token, deps);
  const record = await deps.jobs.readJob(jobId);
  if (record.invalid.length > 0) deps.logger.warn({ jobId, invalid: record.invalid }, 'unreadable job objects skipped');
  const { registration } = record;
  if (!registration) return { found: false, caller };
  const access = decideAccess(caller, registration);
  if (!access.allowed) {
    throw new ForbiddenError('You may not read the logs of this job', { details: { jobId, subject: caller.subject, reason: access.reason } });
  }
  return { found: true, caller, via: access.via, record: { ...record, registration } };
}

async function authenticate(token: string, deps: JobAccessDeps): Promise<Caller> {
  try {
    const claims = await deps.verifyToken(token);
    return { subject: claims.sub, teams: teamsFromClaim(claims[deps.teamsClaim]) };
  } catch (error) {
    // A token the verifier refuses is the caller's problem (401); keys that cannot be fetched are ours (503).
    if (isPermanent(error)) throw new UnauthorizedError(error.message, { tokenSent: true, cause: error });
    throw error;
  }
}
