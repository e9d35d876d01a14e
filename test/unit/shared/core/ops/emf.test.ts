import { describe, expect, it } from 'vitest';
import { answerMetrics, emfFields, indexerMetrics, MAX_VALUES, MetricName, statusClass } from '../../../../../shared/core/ops/index.js';

describe('emfFields', () => {
  it('writes the directive, the dimension values and the metric values as members of the line (EMF specification)', () => {
    const fields = emfFields({
      namespace: 'joblogs',
      dimensions: { Stage: 'prod', Function: 'indexer' },
      metrics: [
        { name: 'LinesIndexed', unit: 'Count', value: 12 },
        { name: 'ChunkLag', unit: 'Milliseconds', value: [1200, 800] },
      ],
      timestamp: 1_795_600_000_123,
    });
    expect(fields).toEqual({
      Stage: 'prod',
      Function: 'indexer',
      LinesIndexed: 12,
      ChunkLag: [1200, 800],
      _aws: {
        Timestamp: 1_795_600_000_123,
        CloudWatchMetrics: [
          {
            Namespace: 'joblogs',
            Dimensions: [['Stage', 'Function']],
            Metrics: [
              { Name: 'LinesIndexed', Unit: 'Count' },
              { Name: 'ChunkLag', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
    });
  });

  it('keeps at most 100 values of a metric, spread over their range, and leaves out metrics without a finite value', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    const fields = emfFields({
      namespace: 'n',
      dimensions: { Stage: 's' },
      metrics: [
        { name: 'Lag', unit: 'Milliseconds', value: values },
        { name: 'Empty', unit: 'Count', value: [] },
        { name: 'Nan', unit: 'Count', value: Number.NaN },
      ],
      timestamp: 0,
    });
    const kept = fields['Lag'] as number[];
    expect(kept).toHaveLength(MAX_VALUES);
    expect([kept[0], kept.at(-1)]).toEqual([1, 1000]);
    expect(fields).not.toHaveProperty('Empty');
    expect(fields).not.toHaveProperty('Nan');
    expect((fields['_aws'] as any).CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Lag', Unit: 'Milliseconds' }]);
    expect(emfFields({ namespace: 'n', dimensions: { Stage: 's' }, metrics: [], timestamp: 0 })).toEqual({});
  });

  it('refuses a metric named like a dimension (the member would be both)', () => {
    expect(() => emfFields({ namespace: 'n', dimensions: { Stage: 's' }, metrics: [{ name: 'Stage', unit: 'Count', value: 1 }], timestamp: 0 })).toThrow(
      RangeError,
    );
  });
});

describe("the functions' metrics", () => {
  it('names every metric the alarms and the dashboard use, once', () => {
    const names = Object.values(MetricName);
    expect(new Set(names).size).toBe(names.length);
    const indexer = indexerMetrics(
      'dev',
      { indexed: 1, bytes: 2, objects: 1, duplicates: 0, retried: 3, throttled: 2, rejected: 0, deadLettered: 1, failed: 0, lagMs: [5] },
      0,
    );
    expect(indexer).toMatchObject({
      LinesIndexed: 1,
      BytesIndexed: 2,
      RetriedItems: 3,
      EsRejections: 2,
      DeadLetterReports: 1,
      ChunkLag: [5],
      Stage: 'dev',
      Function: 'indexer',
    });
  });

  it('counts HTTP answers by status class, anything unexpected as 5xx', () => {
    expect([200, 304, 404, 429, 503, 0].map(statusClass)).toEqual(['2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
    expect(answerMetrics('dev', 'signer', 401, 0)).toMatchObject({ Answers: 1, StatusClass: '4xx', Function: 'signer' });
  });
});
