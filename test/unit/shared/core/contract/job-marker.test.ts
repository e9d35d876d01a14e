import { describe, expect, it } from 'vitest';
import { JobMarkerError } from '../../../../../shared/core/errors.js';
import { jobMarkerKey, parseJobMarker, parseJobMarkerKey, summariseJob, type JobMarker } from '../../../../../shared/core/contract/index.js';

const marker = (over: Partial<JobMarker> = {}): JobMarker => ({
  version: 1,
  jobId: 'job-1',
  source: 'main',
  status: 'running',
  startedAt: '2026-11-25T10:00:00.000Z',
  ...over,
});

describe('job marker keys', () => {
  it('live at jobs/v1/<jobId>/<source>/<status>.json, one write-once key per status, and parse back', () => {
    expect(jobMarkerKey('job-1', 'rank-3', 'running')).toBe('jobs/v1/job-1/rank-3/running.json');
    expect(jobMarkerKey('job-1', 'rank-3', 'final')).toBe('jobs/v1/job-1/rank-3/final.json');
    expect(parseJobMarkerKey('jobs/v1/job-1/rank-3/final.json')).toEqual({ jobId: 'job-1', source: 'rank-3', status: 'final' });
  });

  it.each([
    ['jobs/v1/../main/final.json', 'invalid job id'],
    ['jobs/v1/job-1/main.json', 'expected <jobId>/<source>/<status>'],
    ['jobs/v1/job-1/a/b/final.json', 'expected <jobId>/<source>/<status>'],
    ['jobs/v2/job-1/main/final.json', 'does not start with jobs/v1/'],
    ['jobs/v1/job-1/main/final.txt', 'does not end with .json'],
    ['jobs/v1/job-1/.hidden/final.json', 'invalid source'],
    ['jobs/v1/job-1/main/done.json', 'invalid status'],
  ])('rejects %s (%s)', (key, why) => {
    expect(() => parseJobMarkerKey(key)).toThrow(JobMarkerError);
    expect(() => parseJobMarkerKey(key)).toThrow(why);
  });

  it('refuses to build a key from a traversal-shaped job id or source', () => {
    expect(() => jobMarkerKey('..', 'main', 'running')).toThrow(JobMarkerError);
    expect(() => jobMarkerKey('job-1', '../x', 'running')).toThrow(JobMarkerError);
  });
});

describe('parseJobMarker', () => {
  it('accepts what the shipper writes', () => {
    const final = marker({ status: 'final', endedAt: '2026-11-25T10:05:00.000Z', lastSeq: 4, lineCount: 420, exitCode: 0, droppedLines: 0 });
    expect(parseJobMarker(JSON.stringify(final), { jobId: 'job-1', source: 'main', status: 'final' })).toEqual(final);
  });

  it('ignores owner and team that older producers wrote: markers carry no authority', () => {
    const old = { ...marker(), owner: 'mallory', team: 'evil' };
    expect(parseJobMarker(JSON.stringify(old))).toEqual(marker());
  });

  it.each([
    ['not JSON', '{', 'running', 'not JSON'],
    ['a marker naming another job', JSON.stringify(marker({ jobId: 'job-2' })), 'running', 'names job-2/main'],
    ['a running marker under the final key', JSON.stringify(marker({ status: 'running' })), 'final', 'its key job-1/main/final'],
    ['a final marker without lastSeq', JSON.stringify(marker({ status: 'final', lineCount: 3 })), 'final', 'needs lastSeq and lineCount'],
    ['an unknown status', JSON.stringify({ ...marker(), status: 'done' }), 'running', 'status'],
    ['a bad time', JSON.stringify({ ...marker(), startedAt: 'yesterday' }), 'running', 'startedAt'],
  ] as const)('rejects %s', (_what, text, status, why) => {
    expect(() => parseJobMarker(text, { jobId: 'job-1', source: 'main', status })).toThrow(why);
  });
});

describe('summariseJob', () => {
  it('is complete only when every source is final, started at the earliest start and ended at the latest end', () => {
    const a = marker({
      source: 'rank-0',
      status: 'final',
      lastSeq: 1,
      lineCount: 10,
      startedAt: '2026-11-25T10:00:01.000Z',
      endedAt: '2026-11-25T10:09:00.000Z',
    });
    const b = marker({
      source: 'rank-1',
      status: 'final',
      lastSeq: 1,
      lineCount: 10,
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: '2026-11-25T10:10:00.000Z',
    });
    expect(summariseJob('job-1', [a, b])).toMatchObject({ complete: true, startedAt: b.startedAt, endedAt: b.endedAt });
    expect(summariseJob('job-1', [a, marker({ source: 'rank-1' })])).toMatchObject({ complete: false, endedAt: undefined });
  });

  it("takes a source's final marker over its running one, whichever is read first", () => {
    const running = marker({ source: 'rank-0' });
    const final = marker({ source: 'rank-0', status: 'final', lastSeq: 0, lineCount: 1, endedAt: '2026-11-25T10:01:00.000Z' });
    expect(summariseJob('job-1', [final, running])).toMatchObject({ complete: true, sources: [final] });
    expect(summariseJob('job-1', [running, final])).toMatchObject({ complete: true, sources: [final] });
  });

  it('knows no job without markers', () => {
    expect(summariseJob('job-1', [])).toBeUndefined();
  });
});
