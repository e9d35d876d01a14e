export { backoffDelay } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { MAX_REJECTED_IN_REPORT, deadLetterKey, deadLetterReport } from './dead-letter-report.js';
export type { DeadLetterReport } from './dead-letter-report.js';
