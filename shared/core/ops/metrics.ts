import { METRICS_NAMESPACE, MetricDimension, MetricFunction, MetricName } from './constants.js';
import { emfFields, MetricUnit, type MetricValue } from './emf.js';

/** What the indexer's batch line counts (functions/indexer: BatchStats). */
export interface IndexerCounts {
  indexed: number;
  bytes: number;
  objects: number;
  duplicates: number;
  retried: number;
  throttled: number;
  rejected: number;
  deadLettered: number;
  failed: number;
  lagMs: readonly number[];
}

/** What the assembler's batch line counts (functions/assembler: AssembleStats). */
export interface AssemblerCounts {
  assembled: number;
  gaps: number;
  continued: number;
  deadLettered: number;
  failed: number;
}

const count = (name: MetricName, value: number): MetricValue => ({ name, unit: MetricUnit.count, value });

/** The EMF members of the indexer's batch line. */
export function indexerMetrics(stage: string, c: IndexerCounts, now: number): Record<string, unknown> {
  return emfFields({
    namespace: METRICS_NAMESPACE,
    dimensions: { [MetricDimension.stage]: stage, [MetricDimension.function]: MetricFunction.indexer },
    metrics: [
      count(MetricName.linesIndexed, c.indexed),
      { name: MetricName.bytesIndexed, unit: MetricUnit.bytes, value: c.bytes },
      count(MetricName.chunksIndexed, c.objects),
      count(MetricName.duplicates, c.duplicates),
      count(MetricName.retriedItems, c.retried),
      count(MetricName.esRejections, c.throttled),
      count(MetricName.documentsRejected, c.rejected),
      count(MetricName.deadLetterReports, c.deadLettered),
      count(MetricName.batchItemFailures, c.failed),
      { name: MetricName.chunkLag, unit: MetricUnit.milliseconds, value: c.lagMs },
    ],
    timestamp: now,
  });
}

/** The EMF members of the assembler's batch line. */
export function assemblerMetrics(stage: string, c: AssemblerCounts, now: number): Record<string, unknown> {
  return emfFields({
    namespace: METRICS_NAMESPACE,
    dimensions: { [MetricDimension.stage]: stage, [MetricDimension.function]: MetricFunction.assembler },
    metrics: [
      count(MetricName.downloadsAssembled, c.assembled),
      count(MetricName.gaps, c.gaps),
      count(MetricName.continuations, c.continued),
      count(MetricName.deadLetterReports, c.deadLettered),
      count(MetricName.batchItemFailures, c.failed),
    ],
    timestamp: now,
  });
}

/** `2xx`, `4xx`, `5xx` (anything else is counted with `5xx`: an answer we did not mean to give). */
export function statusClass(statusCode: number): '2xx' | '3xx' | '4xx' | '5xx' {
  if (statusCode >= 200 && statusCode < 300) return '2xx';
  if (statusCode >= 300 && statusCode < 400) return '3xx';
  if (statusCode >= 400 && statusCode < 500) return '4xx';
  return '5xx';
}

/** The EMF members of an HTTP function's one line per request. */
export function answerMetrics(stage: string, fn: MetricFunction, statusCode: number, now: number): Record<string, unknown> {
  return emfFields({
    namespace: METRICS_NAMESPACE,
    dimensions: { [MetricDimension.stage]: stage, [MetricDimension.function]: fn, [MetricDimension.statusClass]: statusClass(statusCode) },
    metrics: [count(MetricName.answers, 1)],
    timestamp: now,
  });
}
