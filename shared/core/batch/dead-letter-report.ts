import { createHash } from 'node:crypto';
import { isValidJobId } from '../contract/chunk-key.js';
import type { JoblogsError, RejectedDocument } from '../errors.js';

/** What goes to the dead-letter path: enough to understand and replay a permanent failure. */
export interface DeadLetterReport {
  reason: string;
  code: string;
  at: string;
  messageId: string;
  bucket?: string;
  key?: string;
  details: Record<string, unknown>;
  /** Documents Elasticsearch refused, with its reason (capped; `rejectedCount` has the total). */
  rejected?: RejectedDocument[];
  rejectedCount?: number;
}

/** Where a permanent failure happened: the message, and the object it named when there was one. */
export interface FailureSite {
  messageId: string;
  bucket?: string | undefined;
  key?: string | undefined;
  /** The job the failed work was for (the assembler's requests), recorded in `details.jobId`. */
  jobId?: string | undefined;
}

export const MAX_REJECTED_IN_REPORT = 1000;

export function deadLetterReport(error: JoblogsError, where: FailureSite, at: Date): DeadLetterReport {
  const evidence = error.evidence() as Pick<DeadLetterReport, 'details' | 'rejected' | 'rejectedCount'>;
  return {
    reason: error.message,
    code: error.code,
    at: at.toISOString(),
    messageId: where.messageId,
    ...(where.bucket ? { bucket: where.bucket } : {}),
    ...(where.key ? { key: where.key } : {}),
    ...evidence,
    details: where.jobId ? { ...evidence.details, jobId: where.jobId } : evidence.details,
  };
}

/** Where the reports of one job are filed: `<prefix>job/<jobId>/…`, so that a job's are listed by prefix. */
export function deadLetterJobPrefix(prefix: string, jobId: string): string {
  return `${prefix}job/${jobId}/`;
}

/**
 * Deterministic report key: a redelivered failure overwrites its own report instead of adding one.
 * Object failures are keyed by object, message failures by message id. A failure of a known job
 * (`details.jobId`: the chunk's job, the assembly's job) is filed under the job
 * (`<prefix>job/<jobId>/<day>/<code>/<hash>.json`, see {@link deadLetterJobPrefix}); one whose
 * job is unknown (a message that could not be read) by day (`<prefix><day>/<code>/<hash>.json`).
 */
export function deadLetterKey(
  prefix: string,
  report: Pick<DeadLetterReport, 'at' | 'messageId' | 'bucket' | 'key' | 'code'> & { details?: Record<string, unknown> },
): string {
  const day = report.at.slice(0, 10).replace(/-/g, '/');
  const subject = report.key ? `${report.bucket}\0${report.key}` : `message\0${report.messageId}`;
  const hash = createHash('sha256').update(subject).update('\0').update(report.code).digest('hex').slice(0, 32);
  const jobId = report.details?.['jobId'];
  const under = typeof jobId === 'string' && isValidJobId(jobId) ? deadLetterJobPrefix(prefix, jobId) : prefix;
  return `${under}${day}/${report.code.toLowerCase()}/${hash}.json`;
}

/** The job a report key is filed under (see {@link deadLetterKey}), or undefined. */
export function jobOfDeadLetterKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}job/`)) return undefined;
  const jobId = key.slice(prefix.length + 4).split('/')[0];
  return jobId !== undefined && isValidJobId(jobId) ? jobId : undefined;
}
