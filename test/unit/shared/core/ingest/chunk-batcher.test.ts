import { describe, expect, it } from 'vitest';
import { ChunkBatcher, describeChunk, type PositionedBatch } from '../../../../../shared/core/ingest/index.js';
import { TooManyLinesError } from '../../../../../shared/core/errors.js';

const chunk = describeChunk(
  { bucket: 'b', key: 'chunks/v1/job-1/main/0000000002.log.gz', metadata: {}, eventTime: '2026-11-25T10:00:00.000Z' },
  { stage: 'test', defaultDataset: 'mlplatform.job', chunkPrefix: 'chunks/', now: () => 0 },
);
const line = (position: number, text = `line ${position}`) => ({ position, bytes: Buffer.from(text) });
const ranges = (batches: Array<PositionedBatch | undefined | readonly PositionedBatch[]>) =>
  batches
    .flat()
    .filter((b) => b !== undefined)
    .map((b) => [b!.start, b!.end, b!.batch.items.length]);

describe('ChunkBatcher', () => {
  it('closes batches at the action bound and tells which line positions each covers, empty lines included', () => {
    const batcher = new ChunkBatcher(chunk, { maxActions: 2, maxBytes: 1 << 20 }, 0);
    const closed: Array<PositionedBatch | undefined | readonly PositionedBatch[]> = [line(0), line(1), line(2, '   '), line(3), line(4)].map((l) =>
      batcher.add(l),
    );
    closed.push(batcher.flush());
    expect(ranges(closed)).toEqual([
      [0, 3, 2],
      [3, 5, 2],
    ]);
    expect(batcher.documents).toBe(4);
  });

  it('skips the lines an earlier invocation indexed and starts its first batch where it stopped', () => {
    const batcher = new ChunkBatcher(chunk, { maxActions: 10, maxBytes: 1 << 20 }, 2);
    for (const l of [line(0), line(1), line(2), line(3)]) expect(batcher.add(l)).toEqual([]);
    expect(ranges([batcher.flush()])).toEqual([[2, 4, 2]]);
  });

  it('gives nothing to flush when nothing was added', () => {
    expect(new ChunkBatcher(chunk, { maxActions: 10, maxBytes: 1 << 20 }, 0).flush()).toBeUndefined();
  });

  it('refuses a line beyond the ten-million-line bound of a chunk', () => {
    const batcher = new ChunkBatcher(chunk, { maxActions: 10, maxBytes: 1 << 20 }, 0);
    expect(() => batcher.add(line(10_000_000))).toThrow(TooManyLinesError);
  });

  it('counts its documents by level and stream, those an earlier invocation wrote included, for its record', () => {
    const texts = [
      '{"level":"info","msg":"a"}',
      'plain',
      '',
      '{"level":"verbose","msg":"b"}',
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      'ValueError: bad',
      '{"level":"warning","msg":"c"}',
    ];
    const grouping = { enabled: true, maxLines: 100, maxBytes: 1 << 20 };
    const counted = (resumeAt: number) => {
      const batcher = new ChunkBatcher(chunk, { maxActions: 10, maxBytes: 1 << 20 }, resumeAt, grouping);
      for (const [i, text] of texts.entries()) batcher.add(line(i, text));
      batcher.end();
      batcher.flush();
      return { counts: batcher.counts, documents: batcher.documents };
    };
    const whole = counted(0);
    expect(whole.counts).toEqual({ documents: 5, levels: { info: 1, none: 1, error: 1, warning: 1 }, other_levels: 1, streams: { stdout: 5 } });
    expect(whole.documents).toBe(5);
    // Resumed after the traceback's first line: the event before is built again to be counted, not sent.
    const resumed = counted(5);
    expect(resumed.counts).toEqual(whole.counts);
    expect(resumed.documents).toBe(1);
  });
});
