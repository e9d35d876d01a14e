export { METRICS_NAMESPACE, MetricDimension, MetricFunction, MetricName } from './constants.js';
export { emfFields, MAX_DIMENSIONS, MAX_METRICS, MAX_VALUES, MetricUnit, type EmfOptions, type MetricValue } from './emf.js';
export { answerMetrics, assemblerMetrics, indexerMetrics, statusClass, type AssemblerCounts, type IndexerCounts } from './metrics.js';
