import { describe, expect, it } from 'vitest';
import { chunkRecordAction, describeChunk, DocumentCounts } from '../../../../../shared/core/ingest/index.js';
import { recordedCounts, topCounts, type SourceProgress } from '../../../../../shared/core/logs/index.js';

const progress = (source: string, maxSeq: number, frontier = maxSeq): SourceProgress => ({
  source,
  chunks: maxSeq + 1,
  maxSeq,
  frontier,
  lines: 0,
  lastCaptured: undefined,
});

/** The aggregations of a job's chunk records: `records` of them, `counted` carrying counts with these sums. */
function answer(records: number, counted: number, sums: Record<string, number>): unknown {
  return { records: { value: records }, counted: { doc_count: counted, ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, { value: v }])) } };
}

describe("a job's counts from its chunk records", () => {
  const sums = { level_none: 900, level_error: 7, level_info: 93, level_debug: 0, other_levels: 0, stream_stdout: 993, stream_stderr: 7 };

  it('add up as the aggregation of its lines gives them: levels with lines, most frequent first', () => {
    expect(recordedCounts(answer(5, 5, sums), [progress('main', 2), progress('rank-1', 1)])).toEqual({
      levels: { none: 900, info: 93, error: 7 },
      streams: { stdout: 993, stderr: 7 },
    });
  });

  it('are not used where a record has none, a level is not named, or a frontier holds lines back', () => {
    const all = [progress('main', 2), progress('rank-1', 1)];
    expect(recordedCounts(answer(5, 4, sums), all)).toBeUndefined();
    expect(recordedCounts(answer(5, 5, { ...sums, other_levels: 1 }), all)).toBeUndefined();
    expect(recordedCounts(answer(5, 5, sums), [progress('main', 2, 1), progress('rank-1', 1)])).toBeUndefined();
    expect(recordedCounts(undefined, all)).toBeUndefined();
  });

  it('order ties by name and keep the most frequent, as a terms aggregation does', () => {
    expect(Object.entries(topCounts({ warn: 3, error: 3, info: 9, debug: 1 }, 3))).toEqual([
      ['info', 9],
      ['error', 3],
      ['warn', 3],
    ]);
  });
});

describe('the counts a chunk record carries', () => {
  const chunk = describeChunk(
    { bucket: 'b', key: 'chunks/v1/job-1/main/0000000002.log.gz', metadata: {}, eventTime: '2026-11-25T10:00:00.000Z' },
    { stage: 'test', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => 0 },
  );
  const tally = new DocumentCounts();
  for (const [level, stream] of [
    ['info', 'stdout'],
    [undefined, 'stdout'],
    ['VERBOSE', 'stderr'],
    ['error', 'stderr'],
  ] as const)
    tally.add(level, stream);
  const counts = tally.recorded();
  const recorded = (error?: string) =>
    JSON.parse(chunkRecordAction(chunk, { positions: 4, documents: 4, counts, progress: {} as never, error }, new Date(0)).split('\n')[1]!).joblogs;

  it('name the known levels and put any other together', () => {
    expect(counts).toEqual({ documents: 4, levels: { info: 1, none: 1, error: 1 }, other_levels: 1, streams: { stdout: 2, stderr: 2 } });
    expect(recorded().counts).toEqual(counts);
  });

  it('are left out of a chunk that ended in an error (some documents may have been refused)', () => {
    expect(recorded('documents_rejected').counts).toBeUndefined();
  });
});
