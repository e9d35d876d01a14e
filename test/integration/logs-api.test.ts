/**
 * The logs API on the local stack: the real handler behind the stage's routes (testkit's local
 * API), the real indexer and assembler on the stack's queues, the real search cluster (the stack's
 * kind) read through the API's own read-only identity (its SSM parameter), tokens from a real issuer. What it must hold:
 * every line of a 200 000-line job reachable by paging either way with no gap and no duplicate;
 * search positions and highlights; a live tail that loses and repeats nothing across reconnects;
 * every refusal a clear 4xx that never reaches the cluster. The rows go to docs/robustness.md.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunksIndex, levelsAggregation, linesIndex, scopeFilters, termCounts, type ErrorPosition } from '../../shared/core/logs/index.js';
import {
  discardSink,
  esRequest,
  eventually,
  markedChunks,
  overrideStreamTemplates,
  registerTestJob,
  shipLines,
  startHttpFaultProxy,
  writeSuiteResults,
  type HttpFaultProxy,
  type MarkedChunk,
  type SuiteRow,
} from '../../testkit/index.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, clusterChecksCredentials, loadStack, readStackFile, type LocalStack } from '../../testkit/stack/index.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const OWNER = { owner: 'alice', team: 'vision' };
/** The big job: two sources whose lines interleave by capture time. */
const BIG = { main: 120_000, 'rank-1': 80_000 } as const;
const BIG_TOTAL = BIG.main + BIG['rank-1'];
/** Lines of the big job that a search must find, and error lines a summary must list. */
const NEEDLES = { main: [5_000, 61_000, 119_999], 'rank-1': [0, 40_000] } as const;
const isError = (source: string, i: number) => source === 'main' && i % 20_000 === 7;
/** OpenSearch's local test distribution has no security plugin: no identity is checked there (README, "Search clusters"). */
const CHECKS_CREDENTIALS = clusterChecksCredentials(readStackFile()?.elasticsearch.kind ?? 'es-9');

let stack: LocalStack;
let pipeline: LocalPipeline;
let idp: LocalIssuer;
let api: HttpApi;
/** A second API whose cluster traffic goes through a counting proxy. */
let proxied: HttpApi;
let proxy: HttpFaultProxy;
let work: string;
let alice: string;
const savedEnv = { ...process.env };
const rows: SuiteRow[] = [];
const bigJob = `api-big-${randomUUID().slice(0, 8)}`;

function record(name: string, input: string, expected: string, observed: string, pass: boolean): void {
  rows.push({ name, input, expected, observed, pass });
  expect(pass, `${name}: ${observed}`).toBe(true);
}

function textOf(source: string, i: number): string {
  if ((NEEDLES as Record<string, readonly number[]>)[source]!.includes(i)) return `step ${i} RuntimeError: CUDA out of memory on ${source}`;
  if (isError(source, i)) return `ERROR step ${i} failed to checkpoint`;
  return `step ${i} loss=${(1 / (i + 1)).toFixed(6)} source=${source}`;
}
const timeOf = (source: string, i: number) => (source === 'main' ? T0 + i * 10 : T0 + 5 + i * 15);

/** The body of each search of the lines the proxied API makes while `run` runs. */
async function linesSearchBodiesDuring(run: () => Promise<unknown>): Promise<string[]> {
  const bodies: string[] = [];
  proxy.plan((info) => {
    if (info.path.includes('logs-mlplatform') && info.path.includes('/_search')) bodies.push(info.body.toString());
    return undefined;
  });
  try {
    await run();
  } finally {
    proxy.clear();
  }
  return bodies;
}

/** For each search of the lines the proxied API makes while `run` runs: whether it was limited to a capture-time window. */
async function linesSearchesDuring(run: () => Promise<void>): Promise<boolean[]> {
  return (await linesSearchBodiesDuring(run)).map((body) => /"(joblogs\.captured|event\.sequence)":\{"gte"/.test(body));
}

/** Whether a search of the lines aggregates them by level (the summary's counts, where the chunk records cannot give them). */
const countsLines = (body: string) => body.includes('"levels":{"terms"');

/**
 * Takes a chunk record's counts out, as a record written before records had them. (In its backing
 * index, where a data stream lets a document be replaced; the test distributions have no update by query.)
 */
async function withoutCounts(jobId: string, seq: number): Promise<void> {
  const found = await esRequest(stack, 'POST', `/${chunksIndex(stack.info.resources.stage)}/_search`, {
    seq_no_primary_term: true,
    query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { term: { 'joblogs.chunk_seq': seq } }] } },
  });
  const hit = found.hits.hits[0];
  delete hit._source.joblogs.counts;
  await esRequest(stack, 'PUT', `/${hit._index}/_doc/${hit._id}?if_seq_no=${hit._seq_no}&if_primary_term=${hit._primary_term}&refresh=true`, hit._source);
}

/** The counts by level and stream of a job's lines, aggregated in the cluster directly. */
async function linesCounted(jobId: string): Promise<{ levels: Record<string, number>; streams: Record<string, number> }> {
  const answer = await esRequest(stack, 'POST', `/${linesIndex(stack.info.resources.stage)}/_search`, levelsAggregation(scopeFilters({ jobId, filters: {} })));
  return { levels: termCounts(answer.aggregations, 'levels'), streams: termCounts(answer.aggregations, 'streams') };
}

/** The big job's lines in printed (merged) order: by capture time, ties by source name, then as printed. */
function expectedMerged(): string[] {
  const all: Array<[number, string, number]> = [];
  for (const [source, count] of Object.entries(BIG)) for (let i = 0; i < count; i++) all.push([timeOf(source, i), source, i]);
  all.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
  return all.map(([, source, i]) => `${source}:${i}`);
}

interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

async function get<T = any>(route: string, o: { token?: string | null; base?: string; signal?: AbortSignal } = {}): Promise<Answer<T>> {
  const token = o.token === undefined ? alice : o.token;
  const response = await fetch(`${o.base ?? api.url}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: o.signal });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: kept as text */
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

const key = (line: { source: string; line: number | null }) => `${line.source}:${line.line}`;

/** First gap and first repeat of `seen` against `expected`, as a sentence. */
function compareOrder(seen: string[], expected: string[]): { same: boolean; observed: string } {
  const firstDiff = expected.findIndex((k, i) => seen[i] !== k);
  const duplicates = seen.length - new Set(seen).size;
  const same = seen.length === expected.length && firstDiff < 0;
  return {
    same,
    observed: same
      ? `${seen.length} lines, in printed order, 0 missing, 0 repeated`
      : `${seen.length}/${expected.length} lines; ${duplicates} repeated; first difference at ${firstDiff} (${seen[firstDiff]} instead of ${expected[firstDiff]})`,
  };
}

beforeAll(async () => {
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-logs-api-'));
  idp = await startIssuer({ audience: stack.info.resources.logsApi.environment['JWT_AUDIENCE']! });
  alice = await idp.token({ sub: 'alice', teams: [] });
  api = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
  proxy = await startHttpFaultProxy(stack.info.elasticsearch.url);
  proxied = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink(), env: { ES_NODE: proxy.url } });
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), logStream: discardSink() });

  await registerTestJob(stack.s3, stack.bucket, bigJob, OWNER);
  await Promise.all(
    Object.entries(BIG).map(([source, count]) =>
      shipLines({
        s3: stack.s3,
        bucket: stack.bucket,
        jobId: bigJob,
        spoolDir: path.join(work, 'spool'),
        source,
        count,
        text: (i) => textOf(source, i),
        time: (i) => timeOf(source, i),
        stream: (i) => (isError(source, i) ? 'stderr' : 'stdout'),
        exitCode: source === 'main' ? 1 : 0,
      }),
    ),
  );
  await eventually(
    () => get(`/jobs/${bigJob}`),
    // From the cluster: the assembler may build the job's archive first, which answers as complete too.
    (a) => a.body.status === 'complete' && a.body.archive === undefined,
    'the big job fully indexed',
    240_000,
  );
}, 400_000);

afterAll(async () => {
  await pipeline?.stop();
  await api?.close();
  await proxied?.close();
  await proxy?.close();
  await idp?.close();
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  process.env = savedEnv;
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'logs-api',
      title: 'Logs API (local stack: real handler, Elasticsearch, tokens)',
      notes: [
        `A ${BIG_TOTAL.toLocaleString('en')}-line job of two sources; refusals checked against a second API whose cluster requests are counted (docs/logs-api.md).`,
      ],
      rows,
    });
  }
});

describe('logs API: paging', () => {
  it(`pages forward through all ${BIG_TOTAL.toLocaleString('en')} lines of two sources in printed order, with no gap and no duplicate`, async () => {
    const seen: string[] = [];
    const wrongCapture: string[] = [];
    let cursor = 'start';
    for (let hasAfter = true; hasAfter; ) {
      const page = await get(`/jobs/${bigJob}/lines?after=${cursor}&limit=1000`);
      expect(page.status).toBe(200);
      seen.push(...page.body.lines.map(key));
      // Each line's capture time, the merged order's first key, as it was shipped.
      for (const line of page.body.lines) if (line.captured !== new Date(timeOf(line.source, line.line)).toISOString()) wrongCapture.push(key(line));
      hasAfter = page.body.hasAfter;
      cursor = page.body.next;
    }
    expect(wrongCapture.slice(0, 5)).toEqual([]);
    const { same, observed } = compareOrder(seen, expectedMerged());
    record(
      'lines: forward paging',
      `after=<next>&limit=1000 from the start of a ${BIG_TOTAL}-line, 2-source job`,
      'every line once, in printed order',
      observed,
      same,
    );
  });

  it('pages backward from the end to the first line, the same lines in the same order', async () => {
    const pages: string[][] = [];
    let route = `/jobs/${bigJob}/lines?before=end&limit=1000`;
    for (;;) {
      const page = await get(route);
      expect(page.status).toBe(200);
      pages.unshift(page.body.lines.map(key));
      if (!page.body.hasBefore) break;
      route = `/jobs/${bigJob}/lines?before=${page.body.prev}&limit=1000`;
    }
    const { same, observed } = compareOrder(pages.flat(), expectedMerged());
    record('lines: backward paging', 'before=end, then before=<prev>&limit=1000 to the start', 'every line once, in printed order', observed, same);
  });

  it('reads each backward page within a window of recent lines: one search per page, the same lines as paging forwards', async () => {
    await get(`/jobs/${bigJob}`, { base: proxied.url }); // the proxied API's view of the finished job, read once
    const pages: string[][] = [];
    const searches = await linesSearchesDuring(async () => {
      for (let route = `/jobs/${bigJob}/lines?before=end&limit=1000`; ; ) {
        const page = await get(route, { base: proxied.url });
        pages.unshift(page.body.lines.map(key));
        if (!page.body.hasBefore) break;
        route = `/jobs/${bigJob}/lines?before=${page.body.prev}&limit=1000`;
      }
    });
    const { same, observed } = compareOrder(pages.flat(), expectedMerged());
    const windowed = searches.filter((w) => w).length;
    // The first window (4 pages' worth of lines) answers every page but those within its width of the job's first line.
    record(
      'lines: backward pages in windows',
      'before=end, then before=<prev>&limit=1000 to the start, through the counting proxy',
      'every line once, in printed order; one search per page, nearly all within a capture-time window',
      `${observed}; ${pages.length} pages, ${searches.length} searches, ${windowed} windowed`,
      same && searches.length === pages.length && windowed >= pages.length - 6,
    );
  });

  it("reads one source's backward pages within windows of its recent chunks, in that source's own order", async () => {
    await get(`/jobs/${bigJob}`, { base: proxied.url });
    const lines: number[][] = [];
    const searches = await linesSearchesDuring(async () => {
      for (let route = `/jobs/${bigJob}/lines?source=rank-1&before=end&limit=1000`; ; ) {
        const page = await get(route, { base: proxied.url });
        lines.unshift(page.body.lines.map((l: { line: number }) => l.line));
        if (!page.body.hasBefore) break;
        route = `/jobs/${bigJob}/lines?source=rank-1&before=${page.body.prev}&limit=1000`;
      }
    });
    const seen = lines.flat();
    const dense = seen.length === BIG['rank-1'] && seen.every((n, i) => n === i);
    const windowed = searches.filter((w) => w).length;
    // Pages whose cursor lies in the source's first two chunks read it whole; every other page reads a window of chunks.
    record(
      'lines: one source, backward pages in windows',
      'source=rank-1&before=end, then before=<prev>&limit=1000 to the start, through the counting proxy',
      'rank-1 lines 0…79999 dense; one search per page, most within a window of sequence numbers',
      `${seen.length} lines${dense ? ', dense' : ', NOT dense'}; ${lines.length} pages, ${searches.length} searches, ${windowed} windowed`,
      dense && searches.length === lines.length && windowed > 0 && windowed >= lines.length - 25,
    );
  });

  it('widens a backward window across a long silence and still answers the lines before it', async () => {
    const jobId = `api-gap-${randomUUID().slice(0, 8)}`;
    const count = 3_000;
    const quiet = 2_990; // lines 2990… come six hours after the others
    const time = (i: number) => T0 + i * 10 + (i >= quiet ? 6 * 3_600_000 : 0);
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    await shipLines({ s3: stack.s3, bucket: stack.bucket, jobId, spoolDir: path.join(work, 'gap'), count, text: (i) => `gap ${i}`, time });
    await eventually(
      () => get(`/jobs/${jobId}`, { base: proxied.url }),
      (a) => a.body.status === 'complete' && a.body.archive === undefined,
      'the gap job fully indexed',
      120_000,
    );
    let page: Answer = { status: 0, body: null, headers: new Headers() };
    const searches = await linesSearchesDuring(async () => {
      page = await get(`/jobs/${jobId}/lines?before=end&limit=300`, { base: proxied.url });
    });
    const lines = (page.body?.lines ?? []).map((l: { line: number }) => l.line);
    const expected = Array.from({ length: 300 }, (_, i) => count - 300 + i);
    record(
      'lines: a backward window across a silence',
      `${count} lines, the last ${count - quiet} six hours after the rest; before=end&limit=300`,
      'the last 300 lines in order (290 from before the silence); a windowed search, then a wider one',
      `lines ${lines[0]}…${lines.at(-1)} (${lines.length}), in order: ${lines.every((n: number, i: number) => n === expected[i])}; searches ${searches.map((w) => (w ? 'windowed' : 'whole job')).join(', ')}`,
      page.status === 200 &&
        lines.length === 300 &&
        lines.every((n: number, i: number) => n === expected[i]) &&
        searches.length === 2 &&
        searches[0] === true &&
        searches[1] === false,
    );
  });

  it("pages through one source in that source's own order, and opens a permalink by line number", async () => {
    const seen: number[] = [];
    let cursor = 'start';
    for (let hasAfter = true; hasAfter; ) {
      const page = await get(`/jobs/${bigJob}/lines?source=rank-1&after=${cursor}&limit=1000`);
      seen.push(...page.body.lines.map((l: { line: number }) => l.line));
      hasAfter = page.body.hasAfter;
      cursor = page.body.next;
    }
    const dense = seen.length === BIG['rank-1'] && seen.every((n, i) => n === i);
    const permalink = await get(`/jobs/${bigJob}/lines?source=main&from=12345&limit=3`);
    const opened = permalink.body.lines.map(key);
    record(
      'lines: one source, permalink',
      'source=rank-1 paged to the end; source=main&from=12345',
      'rank-1 lines 0…79999 dense; the permalink page starts at main:12345 with lines before it',
      `${seen.length} rank-1 lines${dense ? ', dense' : ', NOT dense'}; permalink page ${opened.join(' ')}, hasBefore=${permalink.body.hasBefore}`,
      dense && opened[0] === 'main:12345' && opened.length === 3 && permalink.body.hasBefore === true,
    );
  });

  it('centres a page on a line (around=<cursor>) with the line itself in it', async () => {
    const match = (await get(`/jobs/${bigJob}/search?q=%22out+of+memory%22&source=main`)).body.matches[1];
    const page = await get(`/jobs/${bigJob}/lines?around=${match.cursor}&limit=11&source=main`);
    const lines = page.body.lines.map((l: { line: number }) => l.line);
    record(
      'lines: around a match',
      `around=<cursor of main:${match.line}>&limit=11`,
      `main:${match.line - 5}…${match.line + 5}`,
      `lines ${lines[0]}…${lines.at(-1)} (${lines.length})`,
      lines.length === 11 && lines[5] === match.line && lines[0] === match.line - 5,
    );
  });

  it('filters by level (none = plain output) and stream', async () => {
    const errors = await get(`/jobs/${bigJob}/lines?level=error&limit=1000`);
    const plain = await get(`/jobs/${bigJob}/lines?level=none&source=main&limit=20`);
    const stderr = await get(`/jobs/${bigJob}/lines?stream=stderr&limit=1000`);
    const wantErrors = Array.from({ length: BIG.main }, (_, i) => i)
      .filter((i) => isError('main', i))
      .map((i) => `main:${i}`);
    const gotErrors = errors.body.lines.map(key);
    const plainOk = plain.body.lines.every((l: { level: string | null }) => l.level === null) && plain.body.lines.length === 20;
    record(
      'lines: level and stream filters',
      'level=error; level=none&source=main; stream=stderr',
      `the ${wantErrors.length} error lines; plain lines only; the stderr lines`,
      `level=error → ${gotErrors.join(' ')}; level=none → ${plain.body.lines.length} lines without a level: ${plainOk}; stream=stderr → ${stderr.body.lines.length}`,
      JSON.stringify(gotErrors) === JSON.stringify(wantErrors) && plainOk && stderr.body.lines.length === wantErrors.length,
    );
  });
});

describe('logs API: search and summary', () => {
  it('finds every matching line in printed order with highlight offsets, and pages through matches', async () => {
    const all = await get(`/jobs/${bigJob}/search?q=CUDA+%22out+of+memory%22`);
    const want = expectedMerged().filter((k) => {
      const [source, i] = k.split(':');
      return (NEEDLES as Record<string, readonly number[]>)[source!]!.includes(Number(i));
    });
    const got = all.body.matches.map(key);
    const marked = all.body.matches.map((m: { text: string; highlights: Array<[number, number]> }) =>
      m.highlights.map(([a, b]) => m.text.slice(a, b)).join('|'),
    );
    const paged: string[] = [];
    let after = '';
    for (;;) {
      const page = await get(`/jobs/${bigJob}/search?q=CUDA+%22out+of+memory%22&limit=2${after}`);
      paged.push(...page.body.matches.map(key));
      if (!page.body.next) break;
      after = `&after=${page.body.next}`;
    }
    const ok =
      JSON.stringify(got) === JSON.stringify(want) &&
      all.body.total === want.length &&
      marked.every((m: string) => m === 'CUDA|out|of|memory' || m === 'CUDA|out of memory') &&
      JSON.stringify(paged) === JSON.stringify(want);
    record(
      'search: positions and highlights',
      'q=CUDA "out of memory" (5 planted lines among 200 000), then limit=2 paged',
      'the 5 lines in printed order, total 5, highlights on the words, the same 5 when paged',
      `${got.join(' ')}; total ${all.body.total}; highlights ${[...new Set(marked)].join(' / ')}; paged ${paged.length}`,
      ok,
    );
  });

  it('summarises the job: status and exit, sources, counts by level and stream, where the errors are', async () => {
    const { body } = await get(`/jobs/${bigJob}`);
    const errorLines = Array.from({ length: BIG.main }, (_, i) => i).filter((i) => isError('main', i));
    const ok =
      body.status === 'complete' &&
      body.exitCode === 1 &&
      body.lineCount === BIG_TOTAL &&
      JSON.stringify(body.sources.map((s: { source: string; lines: number }) => [s.source, s.lines])) ===
        JSON.stringify([
          ['main', BIG.main],
          ['rank-1', BIG['rank-1']],
        ]) &&
      body.levels.error === errorLines.length &&
      body.levels.none === BIG_TOTAL - errorLines.length &&
      body.streams.stderr === errorLines.length &&
      body.errors.total === errorLines.length &&
      JSON.stringify(body.errors.positions.map((p: { line: number }) => p.line)) === JSON.stringify(errorLines) &&
      body.errors.positions.every((p: ErrorPosition) => p.stream === 'stderr' && p.level === 'error' && Date.parse(p.captured ?? '') > 0) &&
      typeof body.errors.first.time === 'string';
    record(
      'summary',
      `GET /jobs/<2-source job, exit 1, ${errorLines.length} error lines>`,
      'complete, exit 1, both sources with their counts, levels, streams, error positions (each with its stream, level and capture time)',
      `${body.status}, exit ${body.exitCode}, ${body.lineCount} lines, levels ${JSON.stringify(body.levels)}, streams ${JSON.stringify(body.streams)}, errors at ${body.errors.positions.map((p: ErrorPosition) => p.line).join(',')} (${[...new Set(body.errors.positions.map((p: ErrorPosition) => `${p.stream} ${p.level}${p.captured ? ' captured' : ''}`))].join('; ')})`,
      ok,
    );
  });
});

describe('logs API: summary counts', () => {
  it("adds up a finished job's counts by level and stream from its chunk records, the same as its lines count", async () => {
    let summary: Answer = { status: 0, body: null, headers: new Headers() };
    const searches = await linesSearchBodiesDuring(async () => {
      summary = await get(`/jobs/${bigJob}`, { base: proxied.url });
    });
    const counted = await linesCounted(bigJob);
    const same = JSON.stringify({ levels: summary.body.levels, streams: summary.body.streams }) === JSON.stringify(counted);
    record(
      'summary: counts from the chunk records',
      `GET /jobs/<${BIG_TOTAL}-line job> through the counting proxy; the lines aggregated by level and stream directly`,
      'the same counts, in the same order, without an aggregation of the lines',
      `${JSON.stringify(summary.body.levels)} ${JSON.stringify(summary.body.streams)} vs ${JSON.stringify(counted)}; ${searches.filter(countsLines).length} of ${searches.length} searches aggregate the lines`,
      summary.status === 200 && same && searches.length > 0 && !searches.some(countsLines),
    );
  });

  it('counts the lines instead where the chunk records cannot say: a level they do not name, a record without counts', async () => {
    const levels = ['verbose', 'info', 'warning'];
    const jobs = { named: `api-counts-${randomUUID().slice(0, 8)}`, unnamed: `api-verbose-${randomUUID().slice(0, 8)}` };
    await Promise.all(
      Object.entries(jobs).map(async ([kind, jobId]) => {
        await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
        // Only named levels in one job, one line in seven `verbose` in the other; plain lines have none.
        const level = (i: number) => (kind === 'unnamed' ? levels[i % 7] : levels[1 + (i % 2)]);
        await shipLines({
          s3: stack.s3,
          bucket: stack.bucket,
          jobId,
          spoolDir: path.join(work, kind),
          count: 1_400,
          text: (i) => (i % 5 === 0 ? `plain ${i}` : JSON.stringify({ level: level(i), msg: `step ${i}` })),
          stream: (i) => (i % 3 === 0 ? 'stderr' : 'stdout'),
        });
        await eventually(
          () => get(`/jobs/${jobId}`),
          (a) => a.body.status === 'complete' && a.body.archive === undefined,
          `${kind} job indexed`,
          120_000,
        );
      }),
    );
    await withoutCounts(jobs.named, 0);
    const observed: string[] = [];
    let ok = true;
    for (const [kind, jobId] of Object.entries(jobs)) {
      let summary: Answer = { status: 0, body: null, headers: new Headers() };
      const searches = await linesSearchBodiesDuring(async () => {
        summary = await get(`/jobs/${jobId}`, { base: proxied.url });
      });
      const counted = await linesCounted(jobId);
      const same = JSON.stringify({ levels: summary.body.levels, streams: summary.body.streams }) === JSON.stringify(counted);
      const fromLines = searches.some(countsLines);
      observed.push(
        `${kind}: ${JSON.stringify(summary.body.levels)} ${JSON.stringify(summary.body.streams)}, ${same ? 'as' : 'NOT as'} the lines count, ${fromLines ? 'lines aggregated' : 'lines NOT aggregated'}`,
      );
      ok &&= summary.status === 200 && same && fromLines;
    }
    record(
      'summary: counts from the lines where records cannot say',
      "1 400 lines with levels verbose/info/warning and none; 1 400 with info/warning and none, its record's counts removed",
      'both counted from their lines, as the cluster aggregates them (verbose listed)',
      observed.join('; '),
      ok && observed[1]!.includes('"verbose"'),
    );
  });
});

describe('logs API: live tail', () => {
  it('follows a running job across reconnects — some cut mid-wait — losing and repeating nothing', async () => {
    const jobId = `api-tail-${randomUUID().slice(0, 8)}`;
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    const COUNT = 3_000;
    const shipping = shipLines({
      s3: stack.s3,
      bucket: stack.bucket,
      jobId,
      spoolDir: path.join(work, 'tail'),
      count: COUNT,
      text: (i) => `tail line ${i}`,
      pauseEvery: 250,
      pauseMs: 400,
      shipper: { flushIntervalMs: 200 },
    });
    const seen: number[] = [];
    let cursor = 'start';
    let requests = 0;
    let cut = 0;
    for (let done = false; !done; requests++) {
      // Every fourth request is dropped by the client before its answer arrives (the server still
      // answers it, into a closed connection), as a flaky network would.
      const abort = requests % 4 === 3 ? AbortSignal.timeout(5) : undefined;
      const page = await get(`/jobs/${jobId}/lines?after=${cursor}&wait=5&limit=500`, { signal: abort }).catch(() => undefined);
      if (!page) {
        cut++;
        continue;
      }
      expect(page.status).toBe(200);
      seen.push(...page.body.lines.map((l: { line: number }) => l.line));
      cursor = page.body.next;
      done = page.body.status === 'complete' && !page.body.hasAfter;
    }
    await shipping;
    const exact = seen.length === COUNT && seen.every((n, i) => n === i);
    record(
      'tail: reconnects',
      `after=<next>&wait=5 while a job prints ${COUNT} lines over ~5 s; every 4th request cut by the client before its answer`,
      'every line once, in order, then complete',
      `${seen.length} lines${exact ? ', each once, in order' : `, NOT exact (${new Set(seen).size} distinct)`}; ${requests} requests, ${cut} cut`,
      exact && cut > 0,
    );
  });

  it("gives a running job's merged tail the lines of a source whose chunk is indexed after later lines of another", async () => {
    const jobId = `api-late-${randomUUID().slice(0, 8)}`;
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    const T = Date.now();
    const text = (source: string) =>
      Array.from({ length: 20 }, (_, i) => ({ stream: 'stdout' as const, text: `${source} line ${i}`, terminator: '\n' as const }));
    // rank-1 prints at T…T+9, main at T+5…T+14; each source's first chunk (10 lines) is shipped, its second (final) is not: the job runs.
    const [early] = markedChunks({ jobId, source: 'rank-1', lines: text('rank-1'), cuts: [9], time: T });
    const [later] = markedChunks({ jobId, source: 'main', lines: text('main'), cuts: [9], time: T + 5 });
    const put = (c: MarkedChunk) =>
      stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: c.key, Body: c.body, Metadata: c.metadata, ContentType: 'application/gzip' }));
    const lines = (a: Answer) => a.body.lines.map((l: { source: string; line: number }) => `${l.source}:${l.line}`);
    await put(later!);
    const first = await eventually(
      () => get(`/jobs/${jobId}/lines?after=start&limit=100`),
      (a) => a.body.lines.length === 10,
      "main's chunk searchable",
      120_000,
    );
    // Now rank-1's chunk, printed earlier than main's last line, arrives and is indexed.
    await put(early!);
    const lastLine = first.body.lines.at(-1).cursor;
    await eventually(
      () => get(`/jobs/${jobId}/lines?before=end&limit=100`),
      (a) => a.body.lines.length === 20,
      "rank-1's chunk searchable",
      120_000,
    );
    const late: string[] = [];
    const pages: number[] = [];
    for (let cursor = first.body.next, n = 0; n < 10; n++) {
      const page = await get(`/jobs/${jobId}/lines?after=${cursor}&limit=4`);
      if (page.body.lines.length === 0) break;
      late.push(...lines(page));
      pages.push(page.body.lines.length);
      cursor = page.body.next;
    }
    const byLastLine = await get(`/jobs/${jobId}/lines?after=${lastLine}&limit=100`);
    const all = [...lines(first), ...late];
    const expected = [...Array.from({ length: 10 }, (_, i) => `main:${i}`), ...Array.from({ length: 10 }, (_, i) => `rank-1:${i}`)];
    record(
      'tail: late chunk of another source',
      "a running 2-source job: main's chunk (printed T+5…T+14) tailed, then rank-1's (printed T…T+9) indexed; tail on from next with limit=4",
      "rank-1's 10 lines after main's, each once, in pages of 4, 4, 2 (the last line's own cursor would find none of them)",
      `${all.length} lines, ${new Set(all).size} distinct, late pages ${pages.join(', ')}; after the last line's cursor: ${byLastLine.body.lines.length} lines`,
      JSON.stringify(all) === JSON.stringify(expected) && pages.join(',') === '4,4,2' && byLastLine.body.lines.length === 0,
    );
  });

  it('answers a waiting request as soon as a line arrives, and an empty page with the same cursor when none does', async () => {
    const jobId = `api-wait-${randomUUID().slice(0, 8)}`;
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    const empty = await get(`/jobs/${jobId}/lines?after=start&wait=1`);
    const waiting = get(`/jobs/${jobId}/lines?after=start&wait=20`);
    await shipLines({ s3: stack.s3, bucket: stack.bucket, jobId, spoolDir: path.join(work, 'wait'), count: 3, text: (i) => `late ${i}` });
    const answer = await waiting;
    record(
      'tail: waiting request',
      'after=start&wait=1 on a job with no lines; then wait=20 while 3 lines are shipped',
      'an empty page keeping the cursor; then the 3 lines',
      `empty: ${empty.body.lines.length} lines, next=${empty.body.next}; waiting: ${answer.body.lines.map((l: { text: string }) => l.text).join(', ')}`,
      empty.body.lines.length === 0 && empty.body.next === 'start' && answer.body.lines.length === 3,
    );
  });
});

describe('logs API: complete means searchable', () => {
  // A job's chunk records and its lines are in different indices, each refreshed on its own: a
  // record can be searchable before the lines it stands for. Here the lines' stream is not
  // refreshed until the test asks, so the records are seen long before the lines.
  const DATASET = 'mlplatform.unrefreshed';
  const TEMPLATE = 'joblogs-test-unrefreshed';
  let dataStream: string;
  const setRefresh = (interval: string) =>
    esRequest(stack.info.elasticsearch, 'PUT', `/${dataStream}/_settings`, { index: { refresh_interval: interval } }).catch(() => undefined);
  beforeAll(async () => {
    dataStream = `logs-${DATASET}-${stack.info.resources.stage}`;
    const stage = stack.info.resources.stage;
    await overrideStreamTemplates(stack.info.elasticsearch, { name: TEMPLATE, dataStream, stage, settings: { 'index.refresh_interval': '-1' } });
    await setRefresh('-1'); // a stream an earlier run left (a test cluster may not delete data streams)
  });
  afterAll(async () => {
    await setRefresh('1s');
    await esRequest(stack.info.elasticsearch, 'DELETE', `/_data_stream/${dataStream}`).catch(() => undefined);
    await esRequest(stack.info.elasticsearch, 'DELETE', `/_index_template/${TEMPLATE}`).catch(() => undefined);
  });

  it('answers a finished job from its archive while its lines are not yet searchable, never "complete" with lines missing', async () => {
    const jobId = `api-unrefreshed-${randomUUID().slice(0, 8)}`;
    const COUNT = 40;
    const jobQuery = { query: { term: { 'labels.job_id': jobId } } };
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    await shipLines({
      s3: stack.s3,
      bucket: stack.bucket,
      jobId,
      spoolDir: path.join(work, 'unrefreshed'),
      count: COUNT,
      text: (i) => `unrefreshed line ${i}`,
      shipper: { dataset: DATASET },
    });
    // The job's only chunk recorded (its record searchable), none of its lines searchable.
    await eventually(
      () => esRequest(stack.info.elasticsearch, 'POST', `/${chunksIndex(stack.info.resources.stage)}/_count`, jobQuery),
      (a) => a.count === 1,
      'the chunk record searchable',
      120_000,
    );
    const hidden = await esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_count`, jobQuery);
    const recorded = await get(`/jobs/${jobId}/lines?after=start&limit=100`);
    const summary = await get(`/jobs/${jobId}`);
    const fromArchive = await eventually(
      () => get(`/jobs/${jobId}/lines?after=start&limit=100`),
      (a) => a.body.archive === true,
      'answered from the archive',
      120_000,
    );
    await esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_refresh`);
    const searchable = await get(`/jobs/${jobId}/lines?after=start&limit=100`);
    const texts = (a: Answer) => a.body.lines.map((l: { text: string }) => l.text).join('|');
    const all = Array.from({ length: COUNT }, (_, i) => `unrefreshed line ${i}`).join('|');
    const said = (a: Answer) => `${a.body.status}${a.body.archive ? ' from the archive' : ''} with ${a.body.lines.length} lines`;
    record(
      'complete means searchable',
      `a ${COUNT}-line job whose chunk record is searchable and its lines not (their stream unrefreshed); then refreshed`,
      'never complete from the cluster with lines missing (lines nor summary): complete with every line from the archive; after the refresh every line from the cluster',
      `record seen, ${hidden.count} lines searchable: ${said(recorded)}, summary ${summary.body.status}${summary.body.archive ? ' from the archive' : ''}; then ${said(fromArchive)}; refreshed: ${said(searchable)}`,
      hidden.count === 0 &&
        (recorded.body.archive === true || recorded.body.status === 'running') &&
        (summary.body.archive === true || summary.body.status === 'running') &&
        fromArchive.body.status === 'complete' &&
        texts(fromArchive) === all &&
        searchable.body.status === 'complete' &&
        searchable.body.archive === undefined &&
        texts(searchable) === all,
    );
  });

  it("holds a running job's tail before a recorded chunk whose lines are not searchable yet, though the next chunk's are", async () => {
    const jobId = `api-hidden-${randomUUID().slice(0, 8)}`;
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    const lines = Array.from({ length: 30 }, (_, i) => ({ stream: 'stdout' as const, text: `held line ${i}`, terminator: '\n' as const }));
    // Three chunks of 10 lines; the last (final) one is not uploaded: the job still runs.
    const [first, second] = markedChunks({ jobId, lines, cuts: [9, 19], time: Date.now() });
    const put = (c: MarkedChunk, metadata: Record<string, string>) =>
      stack.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: c.key, Body: c.body, Metadata: { ...c.metadata, ...metadata }, ContentType: 'application/gzip' }),
      );
    const records = () =>
      esRequest(stack.info.elasticsearch, 'POST', `/${chunksIndex(stack.info.resources.stage)}/_count`, { query: { term: { 'labels.job_id': jobId } } });
    // Chunk 0's lines go to the unrefreshed stream (its record is searchable, its lines are not); chunk 1's to the job's usual one.
    await put(first!, { dataset: DATASET });
    await eventually(records, (a) => a.count === 1, 'chunk 0 recorded', 120_000);
    await put(second!, {});
    await eventually(records, (a) => a.count === 2, 'chunk 1 recorded', 120_000);
    const shown = await eventually(
      () => esRequest(stack.info.elasticsearch, 'POST', `/logs-*-${stack.info.resources.stage}/_count`, { query: { term: { 'labels.job_id': jobId } } }),
      (a) => a.count === 10,
      "chunk 1's lines searchable",
      60_000,
    );
    const held = await get(`/jobs/${jobId}/lines?after=start&limit=100`);
    await esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_refresh`);
    const tail = await get(`/jobs/${jobId}/lines?after=${held.body.next}&limit=100`);
    const numbers = (a: Answer) => a.body.lines.map((l: { line: number }) => l.line);
    const expected = Array.from({ length: 20 }, (_, i) => i);
    record(
      'tail: record before its lines',
      "a running job: chunk 0 recorded with its lines not searchable, chunk 1's lines searchable; tail from start, then chunk 0's lines refreshed, tail from next",
      'nothing past chunk 0 while its lines are hidden (status running); then lines 0-19 in order',
      `${shown.count} lines searchable: first answer ${held.body.status} with ${held.body.lines.length} lines, next=${held.body.next}; after the refresh lines ${numbers(tail).join(',')}`,
      held.body.status === 'running' && held.body.lines.length === 0 && JSON.stringify(numbers(tail)) === JSON.stringify(expected),
    );
  });
});

describe('logs API: refusals never reach the cluster', () => {
  const long = (n: number) => 'a'.repeat(n);
  const cases: Array<{ name: string; route: () => string; token?: () => Promise<string | null>; status: number | number[]; code?: string }> = [
    { name: 'garbage cursor', route: () => `/jobs/${bigJob}/lines?after=not-a-cursor`, status: 400, code: 'INVALID_PARAMETER' },
    {
      name: 'forged cursor (valid base64 of other JSON)',
      route: () => `/jobs/${bigJob}/lines?after=${Buffer.from('{"query":{"match_all":{}}}').toString('base64url')}`,
      status: 400,
      code: 'INVALID_PARAMETER',
    },
    { name: 'limit=1000000000', route: () => `/jobs/${bigJob}/lines?limit=1000000000`, status: 400, code: 'INVALID_PARAMETER' },
    { name: 'q of 300 characters', route: () => `/jobs/${bigJob}/search?q=${long(300)}`, status: 400, code: 'INVALID_PARAMETER' },
    { name: 'q of 10 000 characters', route: () => `/jobs/${bigJob}/search?q=${long(10_000)}`, status: 414, code: 'URI_TOO_LONG' },
    { name: 'q of 1 MB', route: () => `/jobs/${bigJob}/search?q=${long(1_000_000)}`, status: [414, 431] },
    { name: 'Lucene syntax in q', route: () => `/jobs/${bigJob}/search?q=${encodeURIComponent('message:/.*/ OR *')}`, status: 200 },
    { name: 'unknown parameter', route: () => `/jobs/${bigJob}/lines?size=10000`, status: 400, code: 'INVALID_PARAMETER' },
    { name: 'path trick in the job id', route: () => '/jobs/..%2F..%2Fregistry/lines', status: 400, code: 'INVALID_JOB_ID' },
    { name: 'NUL in the job id', route: () => '/jobs/a%00b', status: 400, code: 'INVALID_JOB_ID' },
    { name: 'no token', route: () => `/jobs/${bigJob}/lines`, token: async () => null, status: 401, code: 'UNAUTHORIZED' },
    {
      name: 'expired token',
      route: () => `/jobs/${bigJob}/lines`,
      token: () => idp.token({ sub: 'alice' }, { expiresInS: -60 }),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'unsigned token (alg none)',
      route: () => `/jobs/${bigJob}/lines`,
      token: async () => idp.unsecuredToken({ sub: 'alice' }),
      status: 401,
      code: 'UNAUTHORIZED',
    },
    {
      name: 'token of another team',
      route: () => `/jobs/${bigJob}/search?q=step`,
      token: () => idp.token({ sub: 'mallory', teams: ['nlp'] }),
      status: 403,
      code: 'FORBIDDEN',
    },
    { name: 'job never registered', route: () => '/jobs/no-such-job-anywhere/lines', status: 404, code: 'NOT_FOUND' },
  ];

  it.each(cases)('$name', async (c) => {
    const token = c.token ? await c.token() : alice;
    const before = proxy.requests;
    const answer = await get(c.route(), { token, base: proxied.url });
    const clusterRequests = proxy.requests - before;
    const statuses = Array.isArray(c.status) ? c.status : [c.status];
    const code = typeof answer.body === 'object' ? answer.body?.error?.code : undefined;
    const refused = c.status !== 200;
    const ok =
      statuses.includes(answer.status) &&
      (c.code === undefined || code === c.code) &&
      (!refused || clusterRequests === 0) &&
      (!refused || answer.headers.get('cache-control') === 'no-store' || answer.status >= 414);
    record(
      `refusal: ${c.name}`,
      c.route().slice(0, 100),
      refused ? `${statuses.join('/')}${c.code ? ` ${c.code}` : ''}, no cluster request` : '200: the words searched as plain text',
      `${answer.status}${code ? ` ${code}` : ''}: ${String(typeof answer.body === 'object' ? (answer.body?.error?.message ?? `${answer.body?.total ?? ''} matches`) : answer.body).slice(0, 80)}; ${clusterRequests} cluster requests`,
      ok,
    );
  });

  it('answers 503 with Retry-After while the cluster refuses connections', async () => {
    proxy.plan(() => ({ kind: 'refuse' }));
    try {
      const answer = await get(`/jobs/${bigJob}/lines?limit=5`, { base: proxied.url });
      record(
        'cluster down',
        'GET lines while every cluster connection is refused',
        '503 UNAVAILABLE with Retry-After',
        `${answer.status} ${answer.body?.error?.code}; Retry-After ${answer.headers.get('retry-after')}`,
        answer.status === 503 && answer.body?.error?.code === 'UNAVAILABLE' && answer.headers.get('retry-after') !== null,
      );
    } finally {
      proxy.clear();
    }
  });

  it.skipIf(!CHECKS_CREDENTIALS)("reads with an identity that cannot write: the API's credentials are refused by the cluster for indexing", async () => {
    const param = stack.info.resources.logsApi.environment['ES_READER_CREDENTIALS_PARAM']!;
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const credentials = JSON.parse((await stack.ssm.send(new GetParameterCommand({ Name: param, WithDecryption: true }))).Parameter!.Value!) as {
      username: string;
      password: string;
    };
    const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    const write = await fetch(`${stack.info.elasticsearch.url}/logs-mlplatform.job-local/_doc`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ '@timestamp': new Date().toISOString(), message: 'forged' }),
    });
    const read = await fetch(`${stack.info.elasticsearch.url}/logs-mlplatform.job-local/_count`, { headers: { authorization: auth } });
    record(
      "the API's cluster identity",
      `index a document with the credentials in ${param}`,
      '403 from the cluster; reading works',
      `write → ${write.status}; read → ${read.status}`,
      write.status === 403 && read.status === 200,
    );
  });
});
