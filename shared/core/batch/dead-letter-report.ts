import { createHash } from 'node:crypto';
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

/**
 * Deterministic report key: a redelivered failure overwrites its own report instead of adding one.
 * Object failures are keyed by object, message failures by message id.
 */
export function deadLetterKey(prefix: string, report: Pick<DeadLetterReport, 'at' | 'messageId' | 'bucket' | 'key' | 'code'>): string {
  const day = report.at.slice(0, 10).replace(/-/g, '/');
  const subject = report.key ? `${report.bucket}\0${report.key}` : `message\0${report.messageId}`;
  const hash = createHash('sha256').update(subject).update('\0').update(report.code).digest('hex').slice(0, 32);
  return `${prefix}${day}/${report.code.toLowerCase()}/${hash}.json`;
}
