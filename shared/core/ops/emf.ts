/**
 * CloudWatch Embedded Metric Format: metrics as members of a JSON log line, plus an `_aws`
 * directive naming them, which CloudWatch Logs turns into metrics (no API call, no second line).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

export const MetricUnit = {
  count: 'Count',
  bytes: 'Bytes',
  milliseconds: 'Milliseconds',
} as const;
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** One metric of a line: a value, or up to {@link MAX_VALUES} values (e.g. one per chunk). */
export interface MetricValue {
  name: string;
  unit: MetricUnit;
  value: number | readonly number[];
}

/** The specification's limits. */
export const MAX_METRICS = 100;
export const MAX_DIMENSIONS = 30;
export const MAX_VALUES = 100;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;

export interface EmfOptions {
  namespace: string;
  /** Name → value; every metric of the line gets all of them (one dimension set). */
  dimensions: Readonly<Record<string, string>>;
  metrics: readonly MetricValue[];
  /** Epoch milliseconds. */
  timestamp: number;
}

/**
 * The members to merge into a log line so that CloudWatch reads its metrics: the `_aws`
 * directive, the dimension values and the metric values. Bounded as the specification requires:
 * a metric with more than {@link MAX_VALUES} values keeps an evenly spaced sample of them in
 * sorted order (their distribution, not their order, is what a percentile reads); metrics with
 * no finite value are left out, so a line never carries a directive CloudWatch would refuse.
 *
 * @example
 * logger.info({ ...stats, ...emfFields({ namespace: 'joblogs', dimensions: { Stage: 'prod', Function: 'indexer' },
 *   metrics: [{ name: 'LinesIndexed', unit: 'Count', value: 1200 }], timestamp: Date.now() }) }, 'indexer batch done');
 */
export function emfFields(o: EmfOptions): Record<string, unknown> {
  const dimensionNames = Object.keys(o.dimensions);
  if (dimensionNames.length > MAX_DIMENSIONS || dimensionNames.some((d) => !NAME.test(d)))
    throw new RangeError(`EMF dimensions must be at most ${MAX_DIMENSIONS} valid names`);
  const fields: Record<string, unknown> = { ...o.dimensions };
  const declared: Array<{ Name: string; Unit: MetricUnit }> = [];
  for (const metric of o.metrics.slice(0, MAX_METRICS)) {
    if (!NAME.test(metric.name) || metric.name in o.dimensions)
      throw new RangeError(`EMF metric name ${JSON.stringify(metric.name)} is invalid or a dimension`);
    const value = boundedValue(metric.value);
    if (value === undefined) continue;
    fields[metric.name] = value;
    declared.push({ Name: metric.name, Unit: metric.unit });
  }
  if (declared.length === 0) return {};
  fields['_aws'] = { Timestamp: Math.round(o.timestamp), CloudWatchMetrics: [{ Namespace: o.namespace, Dimensions: [dimensionNames], Metrics: declared }] };
  return fields;
}

function boundedValue(value: number | readonly number[]): number | number[] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const finite = value.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  if (finite.length <= MAX_VALUES) return finite;
  const sorted = [...finite].sort((a, b) => a - b);
  return Array.from({ length: MAX_VALUES }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (MAX_VALUES - 1))]!);
}
