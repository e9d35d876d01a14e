export { backoffDelay } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { MAX_REJECTED_IN_REPORT, deadLetterJobPrefix, deadLetterKey, jobOfDeadLetterKey, deadLetterReport } from './dead-letter-report.js';
export type { DeadLetterReport, FailureSite } from './dead-letter-report.js';
export { BatchSettlement } from './settle-batch.js';
export type { DeadLetterWriter, SettleDeps, SettleLog, WorkSite } from './settle-batch.js';
export { Slots } from './slots.js';
