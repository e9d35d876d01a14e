/** The viewer's search state over pages as the logs API gives them, including an archive's short pages (docs/archive.md). */
import { describe, expect, it } from 'vitest';
import type { LogsApi } from '../../viewer/src/api.js';
import { ApiError, describeError } from '../../viewer/src/errors.js';
import { SearchState } from '../../viewer/src/search.js';
import type { SearchMatch, SearchPage } from '../../viewer/src/types.js';

const NO_FILTERS = { source: [], stream: [], level: [] };
const match = (line: number): SearchMatch =>
  ({ line, cursor: `c${line}`, source: 'main', text: `step ${line} cuda`, highlights: [[0, 4]] }) as unknown as SearchMatch;

/** An API whose search answers these pages in turn (each `after` the previous `next`). */
function pagesApi(pages: SearchPage[]): { api: LogsApi; afters: Array<string | undefined> } {
  const afters: Array<string | undefined> = [];
  const api = {
    search: async (request: { after?: string }) => {
      afters.push(request.after);
      return pages[afters.length - 1]!;
    },
  } as unknown as LogsApi;
  return { api, afters };
}

const page = (lines: number[], next: string | null, total: number, totalExact: boolean): SearchPage => ({
  jobId: 'j',
  total,
  totalExact,
  matches: lines.map(match),
  next,
});

describe('search state over an archived job', () => {
  it('follows pages that read part of the archive and found nothing, and never counts fewer matches than it holds', async () => {
    const { api, afters } = pagesApi([page([], 'n1', 0, false), page([], 'n2', 0, false), page([7, 9], 'n3', 2, false), page([12], null, 1, false)]);
    const state = await SearchState.run(api, 'cuda', NO_FILTERS);
    expect(afters).toEqual([undefined, 'n1', 'n2']);
    expect(state.describe()).toBe('Match 0 of 2+');
    expect((await state.step(1))?.line).toBe(7);
    expect((await state.step(1))?.line).toBe(9);
    expect((await state.step(1))?.line).toBe(12);
    expect(afters).toEqual([undefined, 'n1', 'n2', 'n3']);
    expect(state.describe()).toBe('Match 3 of 3+');
  });

  it('takes an exact total as the API gives it (the cluster, a small archive)', async () => {
    const { api } = pagesApi([page([1, 2], 'n1', 250, true)]);
    expect((await SearchState.run(api, 'cuda', NO_FILTERS)).describe()).toBe('Match 0 of 250');
  });
});

describe('an archive being built', () => {
  it('is an answer to ask for again: 202 is transient, with its Retry-After, and says what is happening', () => {
    const error = new ApiError({ status: 202, code: 'ARCHIVING', message: 'being archived', retryAfter: 10 });
    expect(error.transient).toBe(true);
    expect(describeError(error, 'train-1')).toBe('The lines of job “train-1” are being restored from the archive (ARCHIVING). Retrying in 10 s…');
  });
});
