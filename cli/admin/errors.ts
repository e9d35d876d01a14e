import { PermanentError } from '../../shared/core/errors.js';

/**
 * `joblogs admin` exit codes: 0 done and nothing to report; 1 a service failed (AWS, Elasticsearch:
 * run again); 2 bad usage or configuration; 3 done, but something needs attention (a job's logs
 * are not all where they belong, messages came back to a DLQ, chunks were left alone or failed);
 * 4 no such job.
 */
export const AdminExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  attention: 3,
  notFound: 4,
} as const;
export type AdminExitCode = (typeof AdminExitCode)[keyof typeof AdminExitCode];

/** Nothing of the job exists (no registration, markers, chunks or documents). */
export class JobNotFoundError extends PermanentError {
  readonly code = 'JOB_NOT_FOUND';
}

/** A purge of a job whose shipper still runs would leave what it writes next (use --force once it is stopped elsewhere). */
export class JobStillRunningError extends PermanentError {
  readonly code = 'JOB_STILL_RUNNING';
}

/** The target Elasticsearch lacks the stage's index templates: documents would get dynamic mappings. */
export class TargetNotReadyError extends PermanentError {
  readonly code = 'TARGET_NOT_READY';
}
