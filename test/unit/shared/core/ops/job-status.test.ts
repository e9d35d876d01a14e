import { describe, expect, it } from 'vitest';
import { summariseJob, type JobMarker } from '../../../../../shared/core/contract/index.js';
import { jobStatus, type JobStatusInput } from '../../../../../shared/core/ops/index.js';

const registration = { version: 1 as const, jobId: 'job-1', owner: 'alice', team: 'vision', createdAt: '2026-11-25T09:59:00.000Z' };
const final = (source: string, lastSeq: number, lineCount: number, extra: Partial<JobMarker> = {}): JobMarker => ({
  version: 1,
  jobId: 'job-1',
  source,
  status: 'final',
  startedAt: '2026-11-25T10:00:00.000Z',
  endedAt: '2026-11-25T11:00:00.000Z',
  lastSeq,
  lineCount,
  droppedLines: 0,
  exitCode: 0,
  ...extra,
});
const download = (m: Partial<{ lineCount: number; gaps: number; missingChunks: number; status: 'complete' | 'partial' }> = {}) => ({
  metadata: { owner: 'alice', team: 'vision', lineCount: 30, gaps: 0, missingChunks: 0, status: 'complete' as const, sources: 1, chunks: 3, ...m },
});

function input(o: Partial<JobStatusInput> = {}): JobStatusInput {
  return {
    jobId: 'job-1',
    registration,
    job: summariseJob('job-1', [final('main', 2, 30)]),
    listed: new Map([['main', [0, 1, 2]]]),
    indexed: [{ source: 'main', seqs: [0, 1, 2], lines: 30, documents: 29, failed: [] }],
    documents: 29,
    download: download(),
    deadLetters: [],
    dlq: [{ queue: 'chunks', messages: 0, scanned: 3, depth: 3 }],
    ...o,
  };
}

describe('jobStatus', () => {
  it('finds nothing to say about a job whose logs are all where they belong', () => {
    const r = jobStatus(input());
    expect(r).toMatchObject({
      found: true,
      status: 'complete',
      registration: { owner: 'alice', team: 'vision' },
      totals: { linesShipped: 30, linesIndexed: 30, documents: 29, linesInDownload: 30 },
      problems: [],
    });
    expect(r.sources).toEqual([
      {
        source: 'main',
        status: 'final',
        chunks: { inS3: 3, lastSeq: 2, missing: [], indexed: 3, notIndexed: [] },
        lines: { shipped: 30, indexed: 30 },
        droppedLines: 0,
        redactions: 0,
        exitCode: 0,
      },
    ]);
  });

  it('names every discrepancy: a chunk missing from S3, one not indexed, one cut short, dropped lines, a gap, reports, DLQ messages', () => {
    const r = jobStatus(
      input({
        job: summariseJob('job-1', [final('main', 4, 50, { droppedLines: 7 })]),
        listed: new Map([['main', [0, 1, 3, 4]]]),
        indexed: [{ source: 'main', seqs: [0, 1, 3], lines: 30, documents: 30, failed: [3] }],
        download: download({ gaps: 1, missingChunks: 1 }),
        deadLetters: [{ key: 'dead-letter/indexer/job/job-1/2026/11/25/not_gzip/x.json', function: 'indexer', code: 'NOT_GZIP', reason: 'not gzip' }],
        dlq: [{ queue: 'chunks', messages: 2, scanned: 1000, depth: 5000 }],
      }),
    );
    expect(r.problems).toEqual([
      'source main: chunk(s) 2 not in S3 (never uploaded, or expired)',
      'source main: chunk(s) 4 in S3 but not indexed (waiting in the chunk queue, in its DLQ, or dead-lettered)',
      'source main: chunk(s) 3 indexed only up to a permanent failure (see the dead-letter reports)',
      'source main: the shipper dropped 7 line(s) (its spool was full)',
      'The download file has 1 gap marker(s) (1 chunk(s) missing when it was assembled)',
      '1 dead-letter report(s): indexer NOT_GZIP',
      '2 message(s) of this job in the chunks DLQ',
      'The chunks DLQ holds ~5000 message(s); only 1000 were looked at',
    ]);
  });

  it('compares lines only where they can match: shipped ≠ indexed is named once every chunk is in and indexed', () => {
    expect(jobStatus(input({ indexed: [{ source: 'main', seqs: [0, 1, 2], lines: 29, documents: 29, failed: [] }] })).problems).toEqual([
      'source main: the shipper counted 30 line(s), the indexer recorded 29',
    ]);
  });

  it('tells a running job, an unregistered one, a finished one without a file, and one nobody has heard of', () => {
    const running: JobMarker = { version: 1, jobId: 'job-1', source: 'main', status: 'running', startedAt: '2026-11-25T10:00:00.000Z' };
    expect(jobStatus(input({ job: summariseJob('job-1', [running]), download: undefined })).status).toBe('running');
    expect(jobStatus(input({ job: summariseJob('job-1', [running]), download: undefined })).totals.linesShipped).toBeNull();
    expect(jobStatus(input({ registration: undefined })).problems[0]).toMatch(/No launcher registered this job/);
    expect(jobStatus(input({ download: undefined })).problems).toEqual([expect.stringContaining('no download file')]);
    const none = jobStatus(input({ registration: undefined, job: undefined, listed: new Map(), indexed: [], documents: 0, download: undefined }));
    expect(none).toMatchObject({ found: false, status: 'unknown', problems: ['No job job-1: no registration, no markers, no chunks, no documents'] });
  });

  it('shortens long lists of chunks', () => {
    const r = jobStatus(
      input({
        job: summariseJob('job-1', [final('main', 30, 300)]),
        listed: new Map([['main', [30]]]),
        indexed: [{ source: 'main', seqs: [30], lines: 10, documents: 10, failed: [] }],
      }),
    );
    expect(r.problems[0]).toBe('source main: chunk(s) 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (30 in all) not in S3 (never uploaded, or expired)');
  });
});
