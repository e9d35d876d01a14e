/**
 * The logs API as docs/logs-api.md states it and as the viewer relies on it — run against the
 * tests' backend: the local stack's real API (default), or the reference server the viewer was
 * first built against (JOBLOGS_VIEWER_BACKEND=reference), which must keep agreeing with it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackend, type LogsBackend } from '../../testkit/viewer/index.js';
import type { JobSummary, LinesPage, SearchPage } from '../../viewer/src/types.js';

let backend: LogsBackend;
let token: string;
let job: string;

beforeAll(async () => {
  backend = await startBackend({ run: inject('viewerRun') });
  token = await backend.apiToken();
  job = await backend.millionLineJob();
});

afterAll(() => backend?.close());

async function get<T>(path: string, auth: string | null = token): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(backend.apiBase + path, { headers: auth ? { Authorization: `Bearer ${auth}` } : {} });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

const lines = (query: string): Promise<{ status: number; body: LinesPage & { error?: { code: string } } }> => get(`/jobs/${job}/lines?${query}`);

describe('GET /jobs/{jobId}/lines', () => {
  it('pages forward with next: no line lost, none repeated', async () => {
    const first = (await lines('limit=50')).body;
    const second = (await lines(`after=${encodeURIComponent(first.next)}&limit=50`)).body;
    expect(first.lines).toHaveLength(50);
    expect(first.prev).toBeNull();
    expect(first.hasBefore).toBe(false);
    const numbers = [...first.lines, ...second.lines].map((l) => l.line!);
    numbers.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(numbers[i]!));
    expect(second.lines[0]!.seq).toBeGreaterThan(first.lines.at(-1)!.seq);
    expect(first.lines[0]).toMatchObject({ source: 'main', line: 0, stream: 'stdout', end: '\n' });
  });

  it('returns the last page ascending for before=end, and pages back with prev', async () => {
    const last = (await lines('before=end&limit=20')).body;
    expect(last.hasAfter).toBe(false);
    expect(last.lines.at(-1)!.line).toBe(999_999);
    const earlier = (await lines(`before=${encodeURIComponent(last.prev!)}&limit=20`)).body;
    expect(earlier.lines.at(-1)!.line).toBeLessThan(last.lines[0]!.line!);
  });

  it('opens at a line number with from= and at a time with at=', async () => {
    const middle = (await lines('from=500000&limit=1')).body.lines[0]!;
    expect(middle.line).toBe(500_000);
    const at = new Date(Date.parse(middle.time) - 5).toISOString();
    const page = (await lines(`at=${at}&limit=1`)).body;
    expect(page.lines[0]).toMatchObject({ line: 500_000, time: middle.time });
  });

  it('filters by level and stream', async () => {
    const errors = (await lines('level=error&limit=10')).body.lines;
    expect(errors.map((l) => l.line)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100_000 + 50_029));
    expect(errors.every((l) => l.level === 'error')).toBe(true);
    expect((await lines('stream=stderr&limit=10')).body.lines.every((l) => l.stream === 'stderr')).toBe(true);
  });

  it('marks progress-bar redraws with end "\\r"', async () => {
    const bar = (await lines('from=3&limit=3')).body.lines;
    expect(bar.map((l) => l.end)).toEqual(['\r', '\r', '\r']);
  });

  it('refuses bad parameters with 400 INVALID_PARAMETER', async () => {
    for (const query of ['limit=0', 'limit=1001', 'after=start&before=end', 'after=forged.cursor', 'nope=1', 'level=Error!']) {
      const answer = await lines(query);
      expect({ query, status: answer.status, code: answer.body.error?.code }).toEqual({ query, status: 400, code: 'INVALID_PARAMETER' });
    }
  });
});

describe('the live tail', () => {
  it('long-polls with wait= until a line is printed, and continues from next', async () => {
    const running = await backend.runningJob();
    const end = (await get<LinesPage>(`/jobs/${running.jobId}/lines?before=end&limit=1`)).body;
    const poll = get<LinesPage>(`/jobs/${running.jobId}/lines?after=${encodeURIComponent(end.next)}&wait=20`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await running.print(['hello from the tail']);
    const page = (await poll).body;
    expect(page.lines.map((l) => l.text)).toEqual(['hello from the tail']);
    expect(page.status).toBe('running');
    await running.finish(0);
    const after = (await get<LinesPage>(`/jobs/${running.jobId}/lines?after=${encodeURIComponent(page.next)}&wait=20`)).body;
    expect(after).toMatchObject({ lines: [], status: 'complete', hasAfter: false });
  });
});

describe('GET /jobs/{jobId}/search and the summary', () => {
  it('finds phrases with highlights in the text as returned, and pages with after', async () => {
    const page = (await get<SearchPage>(`/jobs/${job}/search?q=${encodeURIComponent('"out of memory"')}&limit=2`)).body;
    expect(page).toMatchObject({ total: 11, totalExact: true });
    // The phrase, marked whole or word by word, at offsets of the text as returned (escape codes included).
    const { text, highlights } = page.matches[0]!;
    expect(highlights.map(([start, stop]) => text.slice(start, stop)).join(' ')).toBe('out of memory');
    const next = (await get<SearchPage>(`/jobs/${job}/search?q=${encodeURIComponent('"out of memory"')}&after=${encodeURIComponent(page.next!)}`)).body;
    expect(next.matches[0]!.line).toBeGreaterThan(page.matches[1]!.line!);
  });

  it('sums up the job: status, exit code, sources, levels, errors', async () => {
    const summary = (await get<JobSummary>(`/jobs/${job}`)).body;
    expect(summary).toMatchObject({
      status: 'complete',
      exitCode: 1,
      lineCount: 1_000_000,
      sources: [{ source: 'main', status: 'final', lines: 1_000_000, exitCode: 1 }],
    });
    expect(summary.errors).toMatchObject({ total: 10, first: { source: 'main', line: 50_029 } });
    expect(summary.levels).toMatchObject({ error: 10 });
    expect(summary.links.download).toBe(`/jobs/${job}/logs`);
  });
});

describe('refusals', () => {
  it('answers 401, 403 and 404 with { error: { code, message } } and no-store', async () => {
    const none = await get<{ error: { code: string } }>(`/jobs/${job}`, null);
    expect([none.status, none.body.error.code, none.headers.get('cache-control')]).toEqual([401, 'UNAUTHORIZED', 'no-store']);
    const other = await get<{ error: { code: string } }>(`/jobs/${await backend.otherUsersJob()}/lines`);
    expect([other.status, other.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const missing = await get<{ error: { code: string } }>('/jobs/no-such-job');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});
