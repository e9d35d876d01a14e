import { describe, expect, it } from 'vitest';
import { keptSource, progressOf } from '../../../../functions/assembler/archive-documents.js';

const record = (source: string, seq: number, o: { lastLine?: number; capturedTo?: number } = {}) => ({
  '@timestamp': '2026-11-25T10:00:00.000Z',
  labels: { job_id: 'job-1' },
  joblogs: { source, chunk_seq: seq, positions: 10, documents: 10, last_line: o.lastLine, captured_to: o.capturedTo },
});

describe("the archive's summary of chunk records", () => {
  it('gives each source the progress the logs API reads from the cluster: chunks, last seq, contiguous frontier, lines, last capture', () => {
    const progress = progressOf([
      record('rank-1', 1, { lastLine: 19, capturedTo: 2000 }),
      record('main', 0, { lastLine: 9, capturedTo: 1000 }),
      record('rank-1', 0, { lastLine: 9, capturedTo: 1500 }),
      record('main', 2, { lastLine: 29, capturedTo: 3000 }),
    ]);
    expect(progress).toEqual([
      { source: 'main', chunks: 2, maxSeq: 2, frontier: 0, lines: 30, lastCaptured: 3000 },
      { source: 'rank-1', chunks: 2, maxSeq: 1, frontier: 1, lines: 20, lastCaptured: 2000 },
    ]);
  });

  it('says -1 for a source whose first chunk has no record, and 0 lines for chunks without a line range', () => {
    expect(progressOf([record('main', 1)])).toEqual([{ source: 'main', chunks: 1, maxSeq: 1, frontier: -1, lines: 0, lastCaptured: undefined }]);
  });
});

describe('the fields an archived document keeps', () => {
  it('keeps what the logs API reads of a line and a bar, and nothing else of the document', () => {
    const doc = {
      '@timestamp': '2026-11-25T10:00:00.000Z',
      message: 'epoch 1: 100%',
      log: { level: 'info', logger: 'tqdm' },
      tags: ['redraws'],
      event: { sequence: 7, dataset: 'mlplatform.job' },
      labels: { job_id: 'job-1' },
      host: { name: 'gpu-1' },
      joblogs: {
        source: 'main',
        stream: 'stderr',
        line: 1,
        last_line: 22,
        span: 22,
        redraws: 21,
        captured: 5,
        chunk_key: 'k',
        chunk_seq: 0,
        end: '\n',
        bytes: 9,
      },
    };
    expect(keptSource(doc)).toEqual({
      '@timestamp': '2026-11-25T10:00:00.000Z',
      message: 'epoch 1: 100%',
      log: { level: 'info' },
      tags: ['redraws'],
      event: { sequence: 7 },
      joblogs: { source: 'main', stream: 'stderr', line: 1, last_line: 22, span: 22, redraws: 21, captured: 5, chunk_key: 'k', chunk_seq: 0, end: '\n' },
    });
  });
});
