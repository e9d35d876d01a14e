/** The marker schema on zod/mini (shared/core/zod.ts): same acceptance, readable messages. */
import { describe, expect, it } from 'vitest';
import { JobMarkerError } from '../../../../../shared/core/errors.js';
import { parseJobMarker } from '../../../../../shared/core/contract/index.js';

const running = { version: 1, jobId: 'job-1', source: 'main', status: 'running', startedAt: '2026-11-25T10:00:00.000Z' };

describe('parseJobMarker (zod/mini schema)', () => {
  it('accepts running and final markers, with offsets in times', () => {
    expect(parseJobMarker(JSON.stringify(running))).toEqual(running);
    const final = {
      ...running,
      status: 'final',
      startedAt: '2026-11-25T11:00:00+01:00',
      endedAt: '2026-11-25T11:00:00Z',
      lastSeq: 3,
      lineCount: 40,
      exitCode: 0,
    };
    expect(parseJobMarker(JSON.stringify(final), { jobId: 'job-1', source: 'main', status: 'final' })).toEqual(final);
  });

  it('lists every problem with its field and an English message', () => {
    const bad = { ...running, version: 2, jobId: '../x', source: '', startedAt: 'yesterday', lastSeq: -1, exitCode: 1.5 };
    try {
      parseJobMarker(JSON.stringify(bad));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JobMarkerError);
      const problems = (error as JobMarkerError).details['problems'] as string[];
      expect(problems.map((p) => p.split(':')[0])).toEqual(['version', 'jobId', 'source', 'startedAt', 'exitCode', 'lastSeq']);
      expect(problems.join('\n')).not.toMatch(/Invalid input$/m);
      expect(problems).toContain('jobId: invalid job id');
    }
  });
});
