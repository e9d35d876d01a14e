export { METRICS_NAMESPACE, MetricDimension, MetricFunction, MetricName } from './constants.js';
export { emfFields, MAX_DIMENSIONS, MAX_METRICS, MAX_VALUES, MetricUnit, type EmfOptions, type MetricValue } from './emf.js';
export { answerMetrics, assemblerMetrics, indexerMetrics, statusClass, type AssemblerCounts, type IndexerCounts } from './metrics.js';
export { chunkAnnouncement } from './announce.js';
export {
  emptyCounts,
  KeyWatermark,
  MAX_LISTED,
  resumeOrStart,
  selectionListing,
  type BackfillCounts,
  type BackfillSelection,
  type BackfillState,
  type BackfillTarget,
} from './backfill.js';
export {
  jobStatus,
  type DlqFinding,
  type IndexedSource,
  type JobDeadLetter,
  type JobStatusInput,
  type JobStatusReport,
  type SourceStatus,
} from './job-status.js';
export {
  nothingLeft,
  PURGE_KINDS,
  purgeAudit,
  purgeAuditKey,
  purgeCounts,
  type ObjectVersion,
  type PurgeAudit,
  type PurgeCounts,
  type PurgeKind,
  type PurgePlan,
} from './purge.js';
export { RateLimit } from './rate-limit.js';
