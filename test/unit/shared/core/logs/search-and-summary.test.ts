import { describe, expect, it } from 'vitest';
import {
  backwardSequenceWindows,
  backwardWindows,
  chunkRecordsAggregation,
  chunksToCheck,
  firstMissingSeq,
  fullyIndexed,
  highlightOffsets,
  jobOverview,
  linesSearch,
  recentChunks,
  searchBody,
  searchableFrontier,
  searchableLinesAggregation,
  searchClauses,
  sourceProgress,
  type SourceProgress,
} from '../../../../../shared/core/logs/index.js';
import type { JobMarker } from '../../../../../shared/core/contract/index.js';

describe("sorts of a job's lines", () => {
  const scope = { jobId: 'job-1', filters: {}, frontier: undefined };
  const sorts = () =>
    [
      linesSearch(scope, { kind: 'after', cursor: 'start' }, { order: 'merged', size: 10 }).body['sort'],
      linesSearch(scope, { kind: 'before', cursor: 'end' }, { order: 'source', size: 10 }).body['sort'],
      searchBody(scope, { words: ['oom'], phrases: [] }, { order: 'merged', size: 10, after: undefined })['sort'],
    ] as Array<Array<Record<string, { order: string; unmapped_type?: string }>>>;

  it('name the type of every key, so a backing index that predates a field does not fail the search', () => {
    for (const sort of sorts()) {
      for (const key of sort) expect(Object.values(key)[0]!.unmapped_type).toMatch(/^(date|keyword|long)$/);
    }
    expect(sorts()[0]!.map((k) => Object.keys(k)[0])).toEqual(['joblogs.captured', 'joblogs.source', 'event.sequence']);
  });
});

describe('a backward page read in capture-time windows', () => {
  const T = 1_795_600_000_000;

  it('sizes the first window to hold a few pages of a job as dense as this one, and widens each next one sixteenfold', () => {
    // 1 000 000 lines over 1 000 s: 1 ms a line; a page of 301 → a first window of 4 × 301 ms.
    expect(backwardWindows({ until: T + 1_000_000, first: T, last: T + 1_000_000, lines: 1_000_000, size: 301 })).toEqual([
      T + 1_000_000 - 1_204,
      T + 1_000_000 - 1_204 * 16,
      T + 1_000_000 - 1_204 * 256,
    ]);
  });

  it("sizes a page's window by the whole job's density, wherever its cursor is", () => {
    // 100 000 lines over 1 000 s: 10 ms a line, a first window of 4 × 101 × 10 ms below a cursor a tenth of the way in.
    expect(backwardWindows({ until: T + 100_000, first: T, last: T + 1_000_000, lines: 100_000, size: 101 })).toEqual([
      T + 100_000 - 4_040,
      T + 100_000 - 64_640,
    ]);
  });

  it('never starts a window before the first capture, nor makes one narrower than a second', () => {
    // 10 000 lines over 100 s: a first window of 40 s, then 640 s (before the job's first line: no window).
    expect(backwardWindows({ until: T + 100_000, first: T, last: T + 100_000, lines: 10_000, size: 1_000 })).toEqual([T + 60_000]);
    expect(backwardWindows({ until: T + 10_000_000, first: T, last: T + 10_000_000, lines: 10_000_000, size: 10 })).toEqual([
      T + 10_000_000 - 1_000,
      T + 10_000_000 - 16_000,
      T + 10_000_000 - 256_000,
    ]);
    // A page near the start, a small job: the whole job is the only window.
    expect(backwardWindows({ until: T + 500, first: T, last: T + 1_000_000, lines: 1_000_000, size: 301 })).toEqual([]);
    expect(backwardWindows({ until: T + 60_000, first: T, last: T + 60_000, lines: 200, size: 301 })).toEqual([]);
  });

  it('asks no window without the times and lines to size one', () => {
    expect(backwardWindows({ until: undefined, first: T, last: T + 1_000, lines: 100, size: 10 })).toEqual([]);
    expect(backwardWindows({ until: T + 1_000, first: undefined, last: T + 1_000, lines: 100, size: 10 })).toEqual([]);
    expect(backwardWindows({ until: T + 1_000, first: T, last: undefined, lines: 100, size: 10 })).toEqual([]);
    expect(backwardWindows({ until: T + 1_000, first: T, last: T + 1_000, lines: 0, size: 10 })).toEqual([]);
    expect(backwardWindows({ until: T, first: T + 1_000, last: T + 2_000, lines: 100, size: 10 })).toEqual([]);
  });

  it("counts one source's windows in whole chunks back from the anchor's, as sequence numbers", () => {
    // 1 000 lines a chunk, a page of 301: two chunks back, then 32, then 512 (past chunk 0: the whole source).
    expect(backwardSequenceWindows({ untilChunk: 100, chunks: 101, lines: 101_000, size: 301 })).toEqual([98 * 10_000_000, 68 * 10_000_000]);
    // Chunks of 10 lines: 121 chunks back for four pages.
    expect(backwardSequenceWindows({ untilChunk: 5_000, chunks: 5_001, lines: 50_010, size: 301 })).toEqual([
      (5_000 - 121) * 10_000_000,
      (5_000 - 121 * 16) * 10_000_000,
    ]);
    expect(backwardSequenceWindows({ untilChunk: 1, chunks: 2, lines: 2_000, size: 301 })).toEqual([]);
    expect(backwardSequenceWindows({ untilChunk: undefined, chunks: 2, lines: 2_000, size: 301 })).toEqual([]);
    expect(backwardSequenceWindows({ untilChunk: 10, chunks: 0, lines: 0, size: 301 })).toEqual([]);
  });

  it("puts a source-order window on the sequence number, the order's first key", () => {
    const scope = { jobId: 'job-1', filters: { sources: ['main'] }, frontier: undefined };
    const body = linesSearch(scope, { kind: 'before', cursor: 'end' }, { order: 'source', size: 11, windowFrom: 20_000_000 }).body;
    expect((body['query'] as { bool: { filter: unknown[] } }).bool.filter.at(-1)).toEqual({ range: { 'event.sequence': { gte: 20_000_000 } } });
  });

  it('leaves out of a windowed search the lines captured before the window, and nothing else', () => {
    const scope = { jobId: 'job-1', filters: {}, frontier: undefined };
    const anchor = { kind: 'before', cursor: 'end' } as const;
    const plain = linesSearch(scope, anchor, { order: 'merged', size: 301 });
    const windowed = linesSearch(scope, anchor, { order: 'merged', size: 301, windowFrom: T });
    const filters = (body: Record<string, unknown>) => (body['query'] as { bool: { filter: unknown[] } }).bool.filter;
    expect(filters(windowed.body)).toEqual([...filters(plain.body), { range: { 'joblogs.captured': { gte: T } } }]);
    expect({ ...windowed.body, query: undefined }).toEqual({ ...plain.body, query: undefined });
    expect(windowed.reversed).toBe(true);
  });
});

describe('search terms', () => {
  it('become match (every word) and match_phrase clauses on the message', () => {
    expect(searchClauses({ words: ['CUDA', 'rank*'], phrases: ['out of memory'] })).toEqual([
      { match: { message: { query: 'CUDA rank*', operator: 'and' } } },
      { match_phrase: { message: 'out of memory' } },
    ]);
  });

  it('give highlight offsets in UTF-16 units of the text, overlapping marks merged', () => {
    expect(highlightOffsets('RuntimeError: CUDA \uE000out\uE001 \uE000of\uE001 \uE000memory\uE001', 'RuntimeError: CUDA out of memory')).toEqual([
      [19, 22],
      [23, 25],
      [26, 32],
    ]);
    expect(highlightOffsets('✓ \uE000ok\uE001', '✓ ok')).toEqual([[2, 4]]);
  });

  it('give offsets in the original text when the highlighter dropped characters of it (OpenSearch drops the ESC of a colour code)', () => {
    const original = '\x1b[33mWARNING\x1b[0m step 97: grad norm 11.0 clipped to 1.0';
    const openSearchCopy = '[33mWARNING[0m step 97: grad norm 11.0 \uE000clipped\uE001 to 1.0';
    const [[start, end]] = highlightOffsets(openSearchCopy, original) as [[number, number]];
    expect(original.slice(start, end)).toBe('clipped');
    expect(highlightOffsets('\uE000\x1b[33mWARNING\uE001', '\x1b[33mWARNING')).toEqual([[0, 12]]);
  });
});

describe('chunk records', () => {
  it('give each source its lines so far and whether its chunks are contiguous', () => {
    const aggregations = {
      sources: {
        buckets: [
          {
            key: 'main',
            doc_count: 3,
            max_seq: { value: 2 },
            last_line: { value: 299 },
            last_captured: { value: 1_795_600_900_000 },
            first_captured: { value: 1_795_600_000_000 },
          },
          { key: 'rank-1', doc_count: 2, max_seq: { value: 4 }, last_line: { value: 99 }, last_captured: { value: null } },
        ],
      },
    };
    expect(sourceProgress(aggregations)).toEqual([
      { source: 'main', chunks: 3, maxSeq: 2, frontier: 2, lines: 300, lastCaptured: 1_795_600_900_000, firstCaptured: 1_795_600_000_000 },
      { source: 'rank-1', chunks: 2, maxSeq: 4, frontier: -1, lines: 100, lastCaptured: undefined, firstCaptured: undefined },
    ]);
  });

  it('list per source the chunks recorded cleanly in the last minutes, oldest first', () => {
    const body = chunkRecordsAggregation('job-1', 1_795_600_000_000) as { aggs: { sources: { aggs: { recent: { filter: unknown } } } } };
    expect(body.aggs.sources.aggs.recent.filter).toEqual({
      bool: {
        filter: [{ range: { '@timestamp': { gte: 1_795_600_000_000, format: 'epoch_millis' } } }],
        must_not: [{ exists: { field: 'joblogs.error' } }],
      },
    });
    const chunks = (...c: Array<[number, number]>) => ({ chunks: { buckets: c.map(([key, documents]) => ({ key, documents: { value: documents } })) } });
    const aggregations = {
      sources: {
        buckets: [
          { key: 'main', recent: chunks([8, 40], [7, 250]) },
          { key: 'rank-1', recent: chunks() },
        ],
      },
    };
    expect(recentChunks(aggregations)).toEqual(
      new Map([
        [
          'main',
          [
            { seq: 7, documents: 250 },
            { seq: 8, documents: 40 },
          ],
        ],
        ['rank-1', []],
      ]),
    );
  });

  it('find the first missing chunk with a handful of counts', async () => {
    const present = new Set([0, 1, 2, 3, 5, 6, 9]);
    let queries = 0;
    const countUpTo = async (seq: number) => {
      queries++;
      return [...present].filter((s) => s <= seq).length;
    };
    expect(await firstMissingSeq(9, countUpTo)).toBe(4);
    expect(queries).toBeLessThanOrEqual(5);
    expect(await firstMissingSeq(3, async (seq) => seq + 1)).toBe(4);
  });
});

describe('the searchable frontier', () => {
  const progress = (source: string, frontier: number): SourceProgress => ({
    source,
    chunks: frontier + 1,
    maxSeq: frontier,
    frontier,
    lines: 0,
    lastCaptured: undefined,
  });
  const recent = new Map([
    [
      'main',
      [
        { seq: 6, documents: 100 },
        { seq: 7, documents: 250 },
        { seq: 8, documents: 40 },
      ],
    ],
    ['rank-1', [{ seq: 3, documents: 10 }]],
  ]);
  const searchable = (counts: Record<string, Record<number, number>>) => ({
    sources: {
      buckets: Object.entries(counts).map(([key, c]) => ({
        key,
        chunks: { buckets: Object.entries(c).map(([seq, n]) => ({ key: Number(seq), doc_count: n })) },
      })),
    },
  });

  it('checks only the recent chunks a frontier would let through', () => {
    const checks = chunksToCheck([progress('main', 7), progress('rank-1', 2)], recent);
    expect(checks).toEqual(
      new Map([
        [
          'main',
          [
            { seq: 6, documents: 100 },
            { seq: 7, documents: 250 },
          ],
        ],
      ]),
    );
    const body = searchableLinesAggregation('job-1', checks) as { query: { bool: { filter: unknown[] } } };
    expect(body.query.bool.filter).toEqual([
      { term: { 'labels.job_id': 'job-1' } },
      {
        bool: { should: [{ bool: { filter: [{ term: { 'joblogs.source': 'main' } }, { terms: { 'joblogs.chunk_seq': [6, 7] } }] } }], minimum_should_match: 1 },
      },
    ]);
  });

  it("stops before a recorded chunk whose lines are not searchable yet, though a later chunk's are", () => {
    const all = [progress('main', 8), progress('rank-1', 3)];
    const checks = chunksToCheck(all, recent);
    const frontier = searchableFrontier(all, checks, searchable({ main: { 6: 100, 8: 40 }, 'rank-1': { 3: 10 } }));
    expect(frontier.map((p) => [p.source, p.frontier])).toEqual([
      ['main', 6],
      ['rank-1', 3],
    ]);
  });

  it('stops before a chunk only part of whose lines are searchable, and keeps a resumed chunk that wrote more than its record says', () => {
    const all = [progress('main', 8)];
    const checks = chunksToCheck(all, recent);
    expect(searchableFrontier(all, checks, searchable({ main: { 6: 100, 7: 249, 8: 40 } }))[0]?.frontier).toBe(6);
    expect(searchableFrontier(all, checks, searchable({ main: { 6: 180, 7: 250, 8: 40 } }))[0]?.frontier).toBe(8);
    expect(searchableFrontier(all, checks, searchable({}))[0]?.frontier).toBe(5);
  });
});

describe('jobOverview', () => {
  const marker = (source: string, over: Partial<JobMarker>): JobMarker => ({
    version: 1,
    jobId: 'job-1',
    source,
    status: 'final',
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:10:00.000Z',
    lastSeq: 0,
    lineCount: 10,
    exitCode: 0,
    ...over,
  });

  it('takes who from the registration, status and exit from the markers, lines so far from the records', () => {
    const job = {
      jobId: 'job-1',
      complete: true,
      sources: [marker('rank-0', {}), marker('rank-1', { exitCode: 3, lineCount: 7 })],
      traceparent: undefined,
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: '2026-11-25T10:10:00.000Z',
    };
    const overview = jobOverview({
      registration: { version: 1, jobId: 'job-1', owner: 'alice', team: 'vision', createdAt: '2026-11-25T09:59:00.000Z' },
      job,
      status: 'complete',
      progress: [
        { source: 'rank-0', chunks: 1, maxSeq: 0, frontier: 0, lines: 10, lastCaptured: undefined },
        { source: 'rank-1', chunks: 1, maxSeq: 0, frontier: 0, lines: 7, lastCaptured: undefined },
      ],
      levels: { error: 1, none: 16 },
      streams: { stdout: 15, stderr: 2 },
      errors: { total: 1, totalExact: true, first: null, positions: [] },
    });
    expect(overview).toMatchObject({
      owner: 'alice',
      team: 'vision',
      status: 'complete',
      exitCode: 3,
      lineCount: 17,
      streams: { stdout: 15, stderr: 2 },
      links: { download: '/jobs/job-1/logs' },
    });
    expect(overview.sources.map((s) => [s.source, s.status, s.lines, s.exitCode])).toEqual([
      ['rank-0', 'final', 10, 0],
      ['rank-1', 'final', 7, 3],
    ]);
  });

  it("is not fully indexed while the finished job's last chunks are still being indexed", () => {
    const job = {
      jobId: 'job-1',
      complete: true,
      sources: [marker('main', { lastSeq: 3, lineCount: 400 })],
      traceparent: undefined,
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: '2026-11-25T10:10:00.000Z',
    };
    // Not fully indexed: the job's view (functions/logs-api/job-view.ts) stays running.
    expect(fullyIndexed(job, [{ source: 'main', chunks: 3, maxSeq: 3, frontier: 1, lines: 300, lastCaptured: undefined }])).toBe(false);
    expect(fullyIndexed(job, [{ source: 'main', chunks: 4, maxSeq: 3, frontier: 3, lines: 400, lastCaptured: undefined }])).toBe(true);
  });

  it('says running, with no exit, while a source still runs', () => {
    const job = {
      jobId: 'job-1',
      complete: false,
      sources: [marker('main', { status: 'running', lastSeq: undefined, lineCount: undefined, exitCode: undefined })],
      traceparent: undefined,
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: undefined,
    };
    expect(fullyIndexed(job, [{ source: 'main', chunks: 2, maxSeq: 1, frontier: 1, lines: 250, lastCaptured: undefined }])).toBe(false);
    const overview = jobOverview({
      registration: { version: 1, jobId: 'job-1', owner: 'alice', createdAt: '2026-11-25T09:59:00.000Z' },
      job,
      status: 'running',
      progress: [{ source: 'main', chunks: 2, maxSeq: 1, frontier: 1, lines: 250, lastCaptured: undefined }],
      levels: {},
      streams: {},
      errors: { total: 0, totalExact: true, first: null, positions: [] },
    });
    expect(overview).toMatchObject({ status: 'running', exitCode: null, team: null, lineCount: 250 });
  });
});
