import { describe, expect, it } from 'vitest';
import { newJobRegistration, parseJobRegistration, registrationKey } from '../../../../../shared/core/contract/index.js';
import { JobRegistrationError } from '../../../../../shared/core/errors.js';

const NOW = new Date('2026-11-25T09:59:00.000Z');

describe('job registration', () => {
  it('lives at registry/v1/<jobId>.json, a prefix producers cannot write', () => {
    expect(registrationKey('train-42')).toBe('registry/v1/train-42.json');
    expect(() => registrationKey('../x')).toThrow(JobRegistrationError);
  });

  it('round-trips what the launcher writes', () => {
    const r = newJobRegistration({ jobId: 'train-42', owner: 'alice', team: 'vision', labels: { project: 'resnet' }, now: NOW });
    expect(r).toEqual({ version: 1, jobId: 'train-42', owner: 'alice', team: 'vision', labels: { project: 'resnet' }, createdAt: '2026-11-25T09:59:00.000Z' });
    expect(parseJobRegistration(JSON.stringify(r), 'train-42')).toEqual(r);
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['another job', JSON.stringify({ version: 1, jobId: 'other', owner: 'a', createdAt: NOW.toISOString() }), 'names other'],
    ['no owner', JSON.stringify({ version: 1, jobId: 'train-42', createdAt: NOW.toISOString() }), 'owner'],
    ['an empty owner', JSON.stringify({ version: 1, jobId: 'train-42', owner: '', createdAt: NOW.toISOString() }), 'owner'],
    ['a control character in the team', JSON.stringify({ version: 1, jobId: 'train-42', owner: 'a', team: 'x\u0007', createdAt: NOW.toISOString() }), 'team'],
  ])('refuses %s', (_what, text, why) => {
    expect(() => parseJobRegistration(text, 'train-42')).toThrow(why);
  });

  it('never quotes the body in its errors', () => {
    expect(() => parseJobRegistration('{"owner": "secret-ish', 'train-42')).toThrow(/^Job registration is not JSON$/);
  });
});
