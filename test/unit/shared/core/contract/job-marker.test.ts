import { describe, expect, it } from 'vitest';
import { JobMarkerError } from '../../../../../shared/core/errors.js';
import { jobMarkerKey, parseJobMarker, parseJobMarkerKey, summariseJob, type JobMarker } from '../../../../../shared/core/contract/index.js';

const marker = (over: Partial<JobMarker> = {}): JobMarker => ({
  version: 1,
  jobId: 'job-1',
  source: 'main',
  status: 'running',
  owner: 'alice',
  team: 'vision',
  startedAt: '2026-11-25T10:00:00.000Z',
  ...over,
});

describe('job marker keys', () => {
  it('live at jobs/v1/<jobId>/<source>.json and parse back', () => {
    expect(jobMarkerKey('job-1', 'rank-3')).toBe('jobs/v1/job-1/rank-3.json');
    expect(parseJobMarkerKey('jobs/v1/job-1/rank-3.json')).toEqual({ jobId: 'job-1', source: 'rank-3' });
  });

  it.each([
    ['jobs/v1/../main.json', 'invalid job id'],
    ['jobs/v1/job-1/a/b.json', 'expected <jobId>/<source>'],
    ['jobs/v2/job-1/main.json', 'does not start with jobs/v1/'],
    ['jobs/v1/job-1/main.txt', 'does not end with .json'],
    ['jobs/v1/job-1/.hidden.json', 'invalid source'],
  ])('rejects %s (%s)', (key, why) => {
    expect(() => parseJobMarkerKey(key)).toThrow(JobMarkerError);
    expect(() => parseJobMarkerKey(key)).toThrow(why);
  });

  it('refuses to build a key from a traversal-shaped job id', () => {
    expect(() => jobMarkerKey('..', 'main')).toThrow(JobMarkerError);
  });
});

describe('parseJobMarker', () => {
  it('accepts what the shipper writes', () => {
    const final = marker({ status: 'final', endedAt: '2026-11-25T10:05:00.000Z', lastSeq: 4, lineCount: 420, exitCode: 0, droppedLines: 0 });
    expect(parseJobMarker(JSON.stringify(final), { jobId: 'job-1', source: 'main' })).toEqual(final);
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['a marker naming another job', JSON.stringify(marker({ jobId: 'job-2' })), 'names job-2/main'],
    ['a final marker without lastSeq', JSON.stringify(marker({ status: 'final', lineCount: 3 })), 'needs lastSeq and lineCount'],
    ['an unknown status', JSON.stringify({ ...marker(), status: 'done' }), 'status'],
    ['a bad time', JSON.stringify({ ...marker(), startedAt: 'yesterday' }), 'startedAt'],
  ])('rejects %s', (_what, text, why) => {
    expect(() => parseJobMarker(text, { jobId: 'job-1', source: 'main' })).toThrow(why);
  });
});

describe('summariseJob', () => {
  it('is complete only when every source is final, started at the earliest start and ended at the latest end', () => {
    const a = marker({ source: 'rank-0', status: 'final', lastSeq: 1, lineCount: 10, startedAt: '2026-11-25T10:00:01.000Z', endedAt: '2026-11-25T10:09:00.000Z' });
    const b = marker({ source: 'rank-1', status: 'final', lastSeq: 1, lineCount: 10, startedAt: '2026-11-25T10:00:00.000Z', endedAt: '2026-11-25T10:10:00.000Z' });
    expect(summariseJob('job-1', [a, b])).toMatchObject({ complete: true, startedAt: b.startedAt, endedAt: b.endedAt, owner: 'alice', team: 'vision', conflict: false });
    expect(summariseJob('job-1', [a, marker({ source: 'rank-1' })])).toMatchObject({ complete: false, endedAt: undefined });
  });

  it('flags sources that disagree about the owner or team', () => {
    expect(summariseJob('job-1', [marker(), marker({ source: 'b', owner: 'mallory' })])!.conflict).toBe(true);
    expect(summariseJob('job-1', [marker(), marker({ source: 'b', team: 'nlp' })])!.conflict).toBe(true);
  });

  it('knows no job without markers', () => {
    expect(summariseJob('job-1', [])).toBeUndefined();
  });
});
