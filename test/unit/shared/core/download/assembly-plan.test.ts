import { describe, expect, it } from 'vitest';
import { gapWaitRemaining, planAssembly } from '../../../../../shared/core/download/index.js';
import { summariseJob, type JobMarker } from '../../../../../shared/core/contract/index.js';

const base = { version: 1 as const, jobId: 'job-1', startedAt: '2026-11-25T10:00:00.000Z' };
const final = (source: string, lastSeq: number, endedAt = '2026-11-25T10:10:00.000Z'): JobMarker => ({
  ...base,
  source,
  status: 'final',
  lastSeq,
  lineCount: 100 * (lastSeq + 1),
  endedAt,
});
const running = (source: string): JobMarker => ({ ...base, source, status: 'running' });

describe('planAssembly', () => {
  it('expects chunks 0…lastSeq of a final source and names the missing ones', () => {
    const job = summariseJob('job-1', [final('main', 4)])!;
    const plan = planAssembly(job, new Map([['main', [4, 0, 2, 2]]]));
    expect(plan.sources).toEqual([{ source: 'main', present: [0, 2, 4], lastSeq: 4, final: true, lineCount: 500, missing: [1, 3] }]);
    expect(plan).toMatchObject({ missingChunks: 2, presentChunks: 3 });
  });

  it('ignores chunks numbered past the final one', () => {
    const plan = planAssembly(summariseJob('job-1', [final('main', 1)])!, new Map([['main', [0, 1, 2]]]));
    expect(plan.sources[0]!.present).toEqual([0, 1]);
  });

  it('takes a running source up to its highest chunk, and a source with chunks but no marker too', () => {
    const plan = planAssembly(
      summariseJob('job-1', [running('a')])!,
      new Map([
        ['a', [0, 3]],
        ['b', [0]],
      ]),
    );
    expect(plan.sources.map((s) => [s.source, s.lastSeq, s.final, s.missing])).toEqual([
      ['a', 3, false, [1, 2]],
      ['b', 0, false, []],
    ]);
  });
});

describe('gapWaitRemaining', () => {
  const job = summariseJob('job-1', [final('main', 2, '2026-11-25T10:10:00.000Z')])!;
  const ended = Date.parse('2026-11-25T10:10:00.000Z');

  it('waits for late chunks until the job ended plus the wait', () => {
    const plan = planAssembly(job, new Map([['main', [0, 2]]]));
    expect(gapWaitRemaining(plan, job, 60_000, ended + 15_000)).toBe(45_000);
    expect(gapWaitRemaining(plan, job, 60_000, ended + 61_000)).toBe(0);
  });

  it('does not wait when nothing is missing', () => {
    const plan = planAssembly(job, new Map([['main', [0, 1, 2]]]));
    expect(gapWaitRemaining(plan, job, 60_000, ended)).toBe(0);
  });
});
