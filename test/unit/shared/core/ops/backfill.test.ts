import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../../../shared/core/errors.js';
import { emptyCounts, KeyWatermark, resumeOrStart, selectionListing } from '../../../../../shared/core/ops/index.js';

describe('selectionListing', () => {
  it('lists one job, the jobs of a prefix, or every chunk since a time', () => {
    expect(selectionListing({ job: 'job-42' })).toEqual({ prefix: 'chunks/v1/job-42/' });
    expect(selectionListing({ prefix: 'train-2026' })).toEqual({ prefix: 'chunks/v1/train-2026' });
    expect(selectionListing({ since: '2026-11-25T10:00:00Z' })).toEqual({ prefix: 'chunks/v1/', since: new Date('2026-11-25T10:00:00Z') });
  });

  it('refuses what is not a job id, a prefix of one, or a time', () => {
    for (const bad of [{ job: '../etc' }, { prefix: 'a/b' }, { prefix: '' }, { since: 'yesterday' }])
      expect(() => selectionListing(bad)).toThrow(InvalidParameterError);
  });
});

describe('resumeOrStart', () => {
  const wanted = { bucket: 'b', selection: { job: 'j' }, target: { stage: 'dev', esNode: 'http://es:9200' } };
  const now = new Date('2026-11-25T12:00:00Z');

  it('goes on from a state of the same backfill, and starts afresh for another selection, target or bucket', () => {
    const { state } = resumeOrStart(undefined, wanted, now);
    state.doneThrough = 'chunks/v1/j/main/0000000003.log.gz';
    expect(resumeOrStart(state, wanted, now)).toEqual({ state, resumed: true });
    for (const other of [
      { ...wanted, bucket: 'c' },
      { ...wanted, selection: { job: 'k' } },
      { ...wanted, target: { stage: 'prod', esNode: 'http://es:9200' } },
    ]) {
      expect(resumeOrStart(state, other, now)).toMatchObject({ resumed: false, state: { doneThrough: null, counts: emptyCounts() } });
    }
  });
});

describe('KeyWatermark', () => {
  it('moves only past keys whose predecessors are all done, whatever order they finish in', () => {
    const mark = new KeyWatermark(null);
    for (const k of ['a', 'b', 'c', 'd']) mark.started(k);
    mark.done('c');
    mark.done('b');
    expect(mark.through).toBeNull();
    mark.done('a');
    expect(mark.through).toBe('c');
    mark.done('d');
    expect(mark.through).toBe('d');
    expect(new KeyWatermark('x').through).toBe('x');
  });
});
