import { describe, expect, it } from 'vitest';
import { decideAccess, downloadMatches, planDownload, teamsFromClaim, type DownloadFile } from '../../../../../shared/core/access/decide.js';
import type { JobRegistration, JobSummary } from '../../../../../shared/core/contract/index.js';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

function job(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    jobId: 'job-1',
    complete: true,
    sources: [],
    traceparent: undefined,
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T11:00:00.000Z',
    ...overrides,
  };
}

const registration = (over: Partial<Pick<JobRegistration, 'owner' | 'team'>> = {}): Pick<JobRegistration, 'owner' | 'team'> => ({
  owner: 'alice',
  team: 'vision',
  ...over,
});

function file(status: 'complete' | 'partial', ageMs = 0, owner = 'alice', team = 'vision'): DownloadFile {
  return { metadata: { owner, team, status }, lastModified: new Date(NOW - ageMs) };
}

const alice = { subject: 'alice', teams: [] };
const visionMember = { subject: 'carol', teams: ['nlp', 'vision'] };
const stranger = { subject: 'bob', teams: ['nlp'] };

describe('decideAccess', () => {
  it('allows the registered owner and members of the registered team', () => {
    expect(decideAccess(alice, registration())).toEqual({ allowed: true, via: 'owner' });
    expect(decideAccess(visionMember, registration())).toEqual({ allowed: true, via: 'team' });
  });

  it('denies anyone else', () => {
    expect(decideAccess(stranger, registration())).toEqual({ allowed: false, reason: 'not-owner-or-team' });
  });

  it('never matches an absent team, or an empty subject against the owner', () => {
    expect(decideAccess(visionMember, registration({ team: undefined })).allowed).toBe(false);
    expect(decideAccess({ subject: '', teams: [''] }, registration({ team: undefined })).allowed).toBe(false);
  });
});

describe('downloadMatches', () => {
  it('keeps a file built for the registered owner and team', () => {
    expect(downloadMatches(file('complete'), registration())).toBeDefined();
  });

  it('treats a file built for anyone else as absent', () => {
    expect(downloadMatches(file('complete', 0, 'mallory'), registration())).toBeUndefined();
    expect(downloadMatches(file('complete', 0, 'alice', 'nlp'), registration())).toBeUndefined();
  });
});

describe('teamsFromClaim', () => {
  it('reads an array of strings or one space-separated string, and nothing else', () => {
    expect(teamsFromClaim(['a', 'b', 3, ''])).toEqual(['a', 'b']);
    expect(teamsFromClaim(' a  b ')).toEqual(['a', 'b']);
    expect(teamsFromClaim({ a: 1 })).toEqual([]);
    expect(teamsFromClaim(undefined)).toEqual([]);
  });
});

describe('planDownload', () => {
  const o = { now: NOW, refreshAfterMs: 30_000, lastRequestedAt: undefined };
  it('says a registered job that has not started yet is running, with nothing to sign or assemble', () => {
    expect(planDownload(undefined, undefined, o)).toMatchObject({ status: 'running', sign: false, requestAssembly: false });
  });

  it('is complete when every source is final and the file is complete: sign, ask for nothing', () => {
    expect(planDownload(job(), file('complete'), o)).toEqual({ status: 'complete', sign: true, requestAssembly: false, detail: undefined });
  });

  it('is running, without a link, when a finished job has no file yet', () => {
    const plan = planDownload(job(), undefined, o);
    expect(plan).toMatchObject({ status: 'running', sign: false, requestAssembly: false });
    expect(plan.detail).toMatch(/finished.*being assembled/);
  });

  it('links the partial file of a finished job while its final file is being assembled', () => {
    expect(planDownload(job(), file('partial', 60_000), o)).toMatchObject({ status: 'running', sign: true, requestAssembly: false });
  });

  it('asks for an assembly of a running job that has no file', () => {
    const plan = planDownload(job({ complete: false }), undefined, o);
    expect(plan).toMatchObject({ status: 'running', sign: false, requestAssembly: true });
    expect(plan.detail).toMatch(/requested/);
  });

  it('serves a partial file younger than 30 s as is, and rebuilds an older one', () => {
    expect(planDownload(job({ complete: false }), file('partial', 29_000), o)).toMatchObject({ sign: true, requestAssembly: false });
    expect(planDownload(job({ complete: false }), file('partial', 30_000), o)).toMatchObject({ sign: true, requestAssembly: true });
  });

  it('asks at most once per 30 s per job, and still says a fresh file is on its way', () => {
    const plan = planDownload(job({ complete: false }), undefined, { ...o, lastRequestedAt: NOW - 10_000 });
    expect(plan.requestAssembly).toBe(false);
    expect(plan.detail).toMatch(/requested/);
    expect(planDownload(job({ complete: false }), undefined, { ...o, lastRequestedAt: NOW - 31_000 }).requestAssembly).toBe(true);
  });

  it('treats a file marked complete as partial while a source still runs (markers are the authority)', () => {
    expect(planDownload(job({ complete: false }), file('complete', 0), o).status).toBe('running');
  });
});
