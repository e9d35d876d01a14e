/** Opening the viewer's window at a line met elsewhere (an error, a search match), against the tests' backend. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackend, type LogsBackend } from '../../testkit/viewer/index.js';
import { LogsApi, type LinesRequest } from '../../viewer/src/api.js';
import { openWindow, type Target } from '../../viewer/src/loader.js';
import type { Filters, JobSummary, LinesPage, PageAnchor } from '../../viewer/src/types.js';

const ALL: Filters = { source: [], stream: [], level: [] };

let backend: LogsBackend;
let summary: JobSummary;
let api: LogsApi;
/** The anchors of every `/lines` request `api` made. */
const asked: PageAnchor[] = [];

beforeAll(async () => {
  backend = await startBackend({ run: inject('viewerRun') });
  const job = await backend.multiSourceJob();
  api = new LogsApi(backend.apiBase, job, () => backend.apiToken());
  const lines = api.lines.bind(api);
  api.lines = (request: LinesRequest) => (asked.push(request.anchor), lines(request));
  summary = await api.summary();
});

afterAll(() => backend?.close());

async function open(target: Target, filters: Filters, on: LogsApi = api): Promise<{ line: LinesPage['lines'][number]; index: number; items: number }> {
  asked.length = 0;
  const { window, index } = await openWindow(target, { api: on, filters, summary, signal: new AbortController().signal });
  return { line: window.items[index]!, index, items: window.items.length };
}

describe('openWindow', () => {
  it('opens an error by its cursor with one request, the line among its neighbours', async () => {
    const error = summary.errors.positions[0]!;
    const opened = await open({ kind: 'cursor', cursor: error.cursor }, ALL);
    expect(asked).toEqual([{ around: error.cursor }]);
    expect(opened.line).toMatchObject({ source: 'rank-2', line: 3000, level: 'error' });
    expect(opened.index).toBeGreaterThan(50); // lines of every rank before it …
    expect(opened.items - opened.index).toBeGreaterThan(50); // … and after it
  });

  it('opens an error under a stream filter at its capture time, the line itself picked out', async () => {
    const error = summary.errors.positions[0]!;
    const stderr: Filters = { ...ALL, stream: ['stderr'] };
    const opened = await open({ kind: 'time', at: error.captured!, item: { source: error.source, seq: error.seq } }, stderr);
    expect(asked.map((a) => Object.keys(a)[0])).toEqual(['at', 'around']);
    expect(opened.line).toMatchObject({ source: 'rank-2', line: 3000, stream: 'stderr' });
  });

  it('falls back to context before the line and the page after it when the line is not in the page around it', async () => {
    // A server whose page around a cursor leaves the line out (as filters that hide it do).
    const error = summary.errors.positions[0]!;
    const hiding = Object.create(api) as LogsApi;
    hiding.lines = async (request) => {
      const page = await api.lines(request);
      return 'around' in request.anchor ? { ...page, lines: page.lines.filter((l) => l.cursor !== error.cursor) } : page;
    };
    const opened = await open({ kind: 'cursor', cursor: error.cursor }, ALL, hiding);
    expect(asked.map((a) => Object.keys(a)[0])).toEqual(['around', 'before', 'after']);
    expect(opened.line).toMatchObject({ source: 'rank-2', line: 3000 });
  });
});
