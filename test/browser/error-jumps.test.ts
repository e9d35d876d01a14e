/** "First error" / "Next error" under filters: which errors are stepped through, which filters stay, where the view opens. */
import { describe, expect, it } from 'vitest';
import { errorJump } from '../../viewer/src/error-jumps.js';
import type { Filters, JobSummary, LinePosition } from '../../viewer/src/types.js';

const NONE: Filters = { source: [], stream: [], level: [] };
const T = '2026-11-25T10:00:00.000Z';

function position(source: string, line: number, o: Partial<LinePosition> = {}): LinePosition {
  return { cursor: `c-${source}-${line}`, source, line, seq: line, captured: T, stream: 'stderr', level: 'error', ...o };
}

function job(positions: LinePosition[], sources = ['rank-0', 'rank-1', 'rank-2']): Pick<JobSummary, 'errors' | 'sources'> {
  return {
    errors: { total: positions.length, first: positions[0] ?? null, positions },
    sources: sources.map((source) => ({ source, status: 'final', lines: 5000, exitCode: 0 })),
  };
}

const ddp = job([position('rank-2', 3000), position('rank-1', 4000), position('rank-2', 4500, { level: 'fatal' })]);

describe('errorJump', () => {
  it('has nothing to jump to in a job without errors', () => {
    expect(errorJump(job([]), NONE, 0)).toBeNull();
  });

  it('opens an error of the unfiltered merged view by its cursor, and wraps round after the last', () => {
    const jump = errorJump(ddp, NONE, 1)!;
    expect(jump).toMatchObject({ index: 1, count: 3, ofSource: null, filters: NONE, target: { kind: 'cursor', cursor: 'c-rank-1-4000' } });
    expect(errorJump(ddp, NONE, 3)!.position.line).toBe(3000);
  });

  it('steps through the chosen source’s own errors on its line axis, the other filters kept', () => {
    const filters: Filters = { source: ['rank-2'], stream: ['stderr'], level: ['error', 'critical', 'fatal'] };
    const first = errorJump(ddp, filters, 0)!;
    expect(first).toMatchObject({ count: 2, ofSource: 'rank-2', filters, target: { kind: 'line', source: 'rank-2', line: 3000 } });
    expect(errorJump(ddp, filters, 1)!.target).toEqual({ kind: 'line', source: 'rank-2', line: 4500 });
  });

  it('moves to the error’s source when the chosen one has none, keeping the filters that show it', () => {
    const jump = errorJump(ddp, { source: ['rank-0'], stream: ['stderr'], level: [] }, 0)!;
    expect(jump).toMatchObject({ count: 3, ofSource: null, filters: { source: ['rank-2'], stream: ['stderr'], level: [] } });
    expect(jump.target).toEqual({ kind: 'line', source: 'rank-2', line: 3000 });
  });

  it('opens an error of a filtered merged view at its capture time, the line itself picked out', () => {
    const filters: Filters = { source: [], stream: ['stderr'], level: ['error', 'critical', 'fatal', 'warning', 'warn'] };
    const jump = errorJump(ddp, filters, 2)!;
    expect(jump.filters).toEqual(filters);
    expect(jump.target).toEqual({ kind: 'time', at: T, item: { source: 'rank-2', seq: 4500 } });
  });

  it('lets go of only the filter that would hide the error', () => {
    const stdout = errorJump(ddp, { source: [], stream: ['stdout'], level: ['error', 'critical', 'fatal'] }, 0)!;
    expect(stdout.filters).toEqual({ source: [], stream: [], level: ['error', 'critical', 'fatal'] });
    expect(stdout.target.kind).toBe('time');
    const warnings = errorJump(ddp, { source: [], stream: ['stderr'], level: ['warning', 'warn'] }, 0)!;
    expect(warnings.filters).toEqual({ source: [], stream: ['stderr'], level: [] });
    // `error` alone hides a fatal error.
    expect(errorJump(ddp, { ...NONE, level: ['error'] }, 2)!.filters.level).toEqual([]);
    // Nothing left filtered: the summary's own cursor.
    expect(errorJump(ddp, { ...NONE, stream: ['stdout'] }, 0)!.target).toEqual({ kind: 'cursor', cursor: 'c-rank-2-3000' });
  });

  it('drops the filters for a position listed without its capture time and stream (an older archive)', () => {
    const old = job([position('rank-2', 3000, { captured: undefined, stream: undefined, level: undefined })]);
    const jump = errorJump(old, { source: [], stream: ['stderr'], level: ['error', 'critical', 'fatal'] }, 0)!;
    expect(jump).toMatchObject({ filters: NONE, target: { kind: 'cursor', cursor: 'c-rank-2-3000' } });
    // An error level filter cannot hide an error: it stays, and the line axis still opens it.
    const oneSource = errorJump(old, { source: ['rank-2'], stream: [], level: ['error', 'critical', 'fatal'] }, 0)!;
    expect(oneSource).toMatchObject({
      filters: { source: ['rank-2'], stream: [], level: ['error', 'critical', 'fatal'] },
      target: { kind: 'line', line: 3000 },
    });
  });

  it('reads a job of one source on its own axis whatever the filters', () => {
    const single = job([position('main', 50_029, { stream: 'stdout' })], ['main']);
    expect(errorJump(single, { ...NONE, stream: ['stdout'] }, 0)).toMatchObject({
      filters: { source: [], stream: ['stdout'], level: [] },
      target: { kind: 'line', source: 'main', line: 50_029 },
    });
  });
});
