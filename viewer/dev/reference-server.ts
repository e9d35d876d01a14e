/**
 * A reference implementation of docs/logs-api.md over in-memory jobs, for the viewer's tests,
 * benchmark and local page: the routes, parameters, cursors, long-poll tail, summary and errors
 * as the doc states them, the signer's answer (docs/downloads.md), bearer tokens checked.
 * It also serves the viewer bundle and a host page (`/view/<jobId>`). Ports 8900–8999.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { decodeCursor, decodeLineCursor, encodeCursor } from './cursor.js';
import { hostPage } from './host-page.js';
import type { JobStore, LineFilter, StoredJob, StoredLine } from './job-store.js';
import { matchesQuery, queryTerms, termRanges } from '../src/query.js';
import { stripEscapes } from '../src/ansi-text.js';

const JOB_ID = /^(?!\.+$)[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ANCHORS = ['after', 'before', 'around', 'from', 'at'] as const;
const LINES_PARAMS = new Set([...ANCHORS, 'limit', 'source', 'stream', 'level', 'wait']);
const SEARCH_PARAMS = new Set(['q', 'after', 'limit', 'source', 'stream', 'level']);

export interface Caller {
  sub: string;
  teams: string[];
}

export interface ReferenceServerOptions {
  store: JobStore;
  /** Bearer tokens the server accepts, and who each one is. */
  tokens: Map<string, Caller>;
  /** The viewer bundle served at `/viewer/joblogs-viewer.js`. */
  bundlePath: string;
  /** The token the host page at `/view/<jobId>` hands to the viewer (through `getToken`). */
  pageToken: string;
  /** Extra pages (path → HTML), e.g. a benchmark's baseline page. */
  pages?: Map<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ReferenceServer {
  url: string;
  server: Server;
  /** The next API request (not a page or the bundle) fails with this status and code. */
  failNext(status: number, code: string): void;
  close(): Promise<void>;
}

export async function startReferenceServer(options: ReferenceServerOptions, ports: [number, number] = [8900, 8999]): Promise<ReferenceServer> {
  let injected: HttpError | null = null;
  const server = createServer((request, response) => {
    const fail = injected;
    handle(request, response, options, () => {
      injected = null;
      return fail;
    }).catch((error: unknown) => sendError(response, error));
  });
  const port = await listenInRange(server, ports);
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    failNext: (status, code) => {
      injected = new HttpError(status, code, `injected ${code}`, status === 503 ? { 'Retry-After': '1' } : {});
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function listenInRange(server: Server, [first, last]: [number, number]): Promise<number> {
  for (let port = first; port <= last; port++) {
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) return port;
  }
  throw new Error(`no free port in ${first}–${last}`);
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: ReferenceServerOptions,
  takeInjected: () => HttpError | null,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const origin = request.headers.origin;
  if (origin) response.setHeader('Access-Control-Allow-Origin', origin);
  if (request.method === 'OPTIONS') return sendPreflight(response);
  if (servePage(url, response, options, `http://${request.headers.host}`)) return;
  const match = /^\/jobs\/([^/]+)(\/lines|\/search|\/redraws|\/logs)?$/.exec(url.pathname);
  if (!match) throw new HttpError(404, 'NOT_FOUND', 'no such route');
  const caller = authenticate(request, options.tokens);
  const jobId = decodeURIComponent(match[1]!);
  if (!JOB_ID.test(jobId)) throw new HttpError(400, 'INVALID_JOB_ID', 'the job id breaks the chunk contract');
  const injected = takeInjected();
  if (injected) throw injected;
  const job = options.store.get(jobId);
  if (!job) throw new HttpError(404, 'NOT_FOUND', `no job ${jobId}`);
  if (job.owner !== caller.sub && !caller.teams.includes(job.team)) throw new HttpError(403, 'FORBIDDEN', 'neither the owner of this job nor in its team');
  const route = match[2] ?? '';
  const signal = abortOnClose(request, response);
  if (route === '') return sendJson(response, summary(job));
  if (route === '/lines') return sendJson(response, await lines(job, url.searchParams, signal));
  if (route === '/search') return sendJson(response, search(job, url.searchParams));
  if (route === '/redraws') return sendJson(response, redraws(job, url.searchParams));
  return sendJson(response, signerAnswer(job, `http://${request.headers.host}`));
}

/**
 * The viewer's own routes, for any local server that also serves the logs API: the bundle at
 * `/viewer/joblogs-viewer.js` and a page per job at `/view/<jobId>` (docs/viewer.md). True when
 * it answered.
 */
/**
 * The bundle and a job's host page (`/view/<job>`). `?session=held` and a `heldToken`: the page
 * holds its token already (in its HTML, as an app's session would) instead of asking `tokenUrl`.
 */
export function serveViewer(
  url: URL,
  response: ServerResponse,
  options: { bundlePath: string; apiBase: string; tokenUrl: string; heldToken?: string },
): boolean {
  if (url.pathname === '/viewer/joblogs-viewer.js') {
    response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
    response.end(readFileSync(options.bundlePath));
    return true;
  }
  const view = /^\/view\/([^/]+)$/.exec(url.pathname);
  if (!view) return false;
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  const held = url.searchParams.get('session') === 'held' ? options.heldToken : undefined;
  response.end(hostPage(decodeURIComponent(view[1]!), url.searchParams, held !== undefined ? { ...options, token: held } : options));
  return true;
}

function servePage(url: URL, response: ServerResponse, options: ReferenceServerOptions, origin: string): boolean {
  if (serveViewer(url, response, { bundlePath: options.bundlePath, apiBase: origin, tokenUrl: '/_ref/dev-token', heldToken: options.pageToken })) return true;
  if (url.pathname === '/favicon.ico') {
    response.writeHead(204).end();
    return true;
  }
  if (url.pathname === '/_ref/dev-token') {
    sendJson(response, { token: options.pageToken });
    return true;
  }
  const page = options.pages?.get(url.pathname);
  if (page !== undefined) {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(page);
    return true;
  }
  const download = /^\/_ref\/downloads\/([^/]+)\.log\.gz$/.exec(url.pathname);
  const job = download && options.store.get(decodeURIComponent(download[1]!));
  if (!job) return false;
  response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Disposition': `attachment; filename="${job.jobId}.log.gz"` });
  Readable.from(downloadLines(job)).pipe(createGzip()).pipe(response);
  return true;
}

function* downloadLines(job: StoredJob): Generator<string> {
  const several = job.sources.size > 1;
  for (let p = 0; p < job.size; p++) {
    const line = job.at(p);
    yield `${new Date(line.time).toISOString()} ${several ? `${line.source} ` : ''}${line.stream} ${line.text}\n`;
  }
}

function authenticate(request: IncomingMessage, tokens: Map<string, Caller>): Caller {
  const header = request.headers.authorization ?? '';
  const token = /^Bearer (\S+)$/.exec(header)?.[1];
  const caller = token ? tokens.get(token) : undefined;
  if (!caller) throw new HttpError(401, 'UNAUTHORIZED', token ? 'the token is not valid' : 'no token', { 'WWW-Authenticate': 'Bearer realm="joblogs"' });
  return caller;
}

function abortOnClose(request: IncomingMessage, response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.on('close', () => controller.abort());
  request.on('aborted', () => controller.abort());
  return controller.signal;
}

// ---- parameters --------------------------------------------------------------------------------

interface ViewFilter {
  key: string;
  compiled: LineFilter;
  sources: string[];
}

function checkParams(params: URLSearchParams, allowed: Set<string>): void {
  for (const name of params.keys()) if (!allowed.has(name)) throw invalid(`unknown parameter ${name}`);
}

function invalid(message: string): HttpError {
  return new HttpError(400, 'INVALID_PARAMETER', message);
}

function list(params: URLSearchParams, name: string): string[] {
  return (params.get(name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function viewFilter(job: StoredJob, params: URLSearchParams): ViewFilter {
  const raw = { source: list(params, 'source'), stream: list(params, 'stream'), level: list(params, 'level') };
  // As the API: any level word; one the store never holds matches nothing.
  for (const level of raw.level) if (!/^[a-z]{1,16}$/.test(level)) throw invalid(`level ${level} is not a level name`);
  for (const stream of raw.stream) if (stream !== 'stdout' && stream !== 'stderr') throw invalid(`unknown stream ${stream}`);
  const key = ['source', 'stream', 'level'].map((name) => [...raw[name as keyof typeof raw]].sort().join(',')).join(';');
  return { key, compiled: job.compileFilter(raw), sources: raw.source };
}

function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const value = params.get(name);
  if (value === null) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return number;
}

function cursorParam(job: StoredJob, filter: ViewFilter, value: string): number | 'start' | 'end' {
  const position = decodeCursor(job.jobId, filter.key, value);
  if (position === null || (typeof position === 'number' && position >= job.size)) throw invalid('not a cursor of this job and filter');
  return position;
}

// ---- routes ------------------------------------------------------------------------------------

function summary(job: StoredJob): object {
  const cursorOf = (p: number): object => {
    const { cursor, source, line, seq, time, captured, stream, level } = lineBody(job.at(p), encodeCursor(job.jobId, ';;', p)) as Record<string, unknown>;
    return { cursor, source, line, seq, time, captured, stream, level };
  };
  const sources = [...job.sources.values()].map((s) => ({ source: s.name, status: s.final ? 'final' : 'running', lines: s.nextLine, exitCode: s.exitCode }));
  const errors = job.errorPositions;
  return {
    jobId: job.jobId,
    owner: job.owner,
    team: job.team,
    status: job.status,
    exitCode: job.exitCode,
    signal: null,
    startedAt: new Date(job.startedAt).toISOString(),
    endedAt: job.endedAt === null ? null : new Date(job.endedAt).toISOString(),
    lineCount: sources.reduce((sum, s) => sum + s.lines, 0),
    sources,
    levels: { ...job.levelCounts },
    errors: { total: errors.length, first: errors.length ? cursorOf(errors[0]!) : null, positions: errors.slice(0, 1000).map(cursorOf) },
    links: { download: `/jobs/${encodeURIComponent(job.jobId)}/logs` },
    ...(job.archived ? { archive: true } : {}),
  };
}

async function lines(job: StoredJob, params: URLSearchParams, signal: AbortSignal): Promise<object> {
  checkParams(params, LINES_PARAMS);
  const anchors = ANCHORS.filter((name) => params.has(name));
  if (anchors.length > 1) throw invalid(`at most one of ${ANCHORS.join(', ')}`);
  const limit = intParam(params, 'limit', 1, 1000, 200);
  const wait = intParam(params, 'wait', 0, 20, 0);
  if (wait > 0 && anchors[0] !== 'after' && anchors.length > 0) throw invalid('wait needs after');
  const filter = viewFilter(job, params);
  const deadline = Date.now() + wait * 1000;
  for (;;) {
    const page = readPage(job, params, filter, limit);
    if (page.positions.length > 0 || wait === 0 || job.status !== 'running' || Date.now() >= deadline || signal.aborted) return pageBody(job, filter, page);
    await job.waitForChange(deadline - Date.now(), signal);
  }
}

interface Page {
  positions: number[];
  /** Where the page starts when it is empty (for `prev`/`next`). */
  start: number;
  ownAfter: string | null;
}

function readPage(job: StoredJob, params: URLSearchParams, filter: ViewFilter, limit: number): Page {
  const around = params.get('around');
  if (around !== null) {
    // Half the page before the line, then the line itself and what follows.
    const position = cursorParam(job, filter, around);
    if (typeof position !== 'number') throw invalid('around needs the cursor of a line');
    const before = scan(job, filter.compiled, position - 1, -1, Math.floor(limit / 2)).reverse();
    return { positions: [...before, ...scan(job, filter.compiled, position, +1, limit - before.length)], start: position, ownAfter: null };
  }
  const before = params.get('before');
  if (before !== null) {
    const position = cursorParam(job, filter, before);
    const end = position === 'end' ? job.size : position === 'start' ? 0 : position;
    const positions = scan(job, filter.compiled, end - 1, -1, limit).reverse();
    return { positions, start: end, ownAfter: null };
  }
  const start = startOf(job, params, filter);
  return { positions: scan(job, filter.compiled, start, +1, limit), start, ownAfter: params.get('after') };
}

function startOf(job: StoredJob, params: URLSearchParams, filter: ViewFilter): number {
  const from = params.get('from');
  if (from !== null) {
    const source = filter.sources.length === 1 ? filter.sources[0]! : job.sources.size === 1 ? [...job.sources.keys()][0]! : null;
    if (source === null || !/^\d+$/.test(from)) throw invalid('from needs a line number and one source');
    return job.positionOfLine(source, Number(from));
  }
  const at = params.get('at');
  if (at !== null) {
    const time = Date.parse(at);
    if (Number.isNaN(time)) throw invalid('at must be an RFC 3339 time');
    return job.positionOfTime(time);
  }
  const after = cursorParam(job, filter, params.get('after') ?? 'start');
  return after === 'start' ? 0 : after === 'end' ? job.size : after + 1;
}

/** Up to `limit` positions matching `filter`, from `start` in direction `step`. */
function scan(job: StoredJob, filter: LineFilter, start: number, step: 1 | -1, limit: number): number[] {
  const found: number[] = [];
  for (let p = start; p >= 0 && p < job.size && found.length < limit; p += step) if (job.matches(p, filter)) found.push(p);
  return found;
}

function pageBody(job: StoredJob, filter: ViewFilter, page: Page): object {
  const first = page.positions[0] ?? page.start;
  const last = page.positions[page.positions.length - 1];
  const hasBefore = scan(job, filter.compiled, first - 1, -1, 1).length > 0;
  const hasAfter = scan(job, filter.compiled, (last ?? page.start - 1) + 1, +1, 1).length > 0;
  const cursor = (p: number): string => encodeCursor(job.jobId, filter.key, p);
  const next = last !== undefined ? cursor(last) : (page.ownAfter ?? (page.start > 0 ? cursor(page.start - 1) : 'start'));
  return {
    jobId: job.jobId,
    status: job.status,
    lines: page.positions.map((p) => lineBody(job.at(p), cursor(p))),
    prev: hasBefore ? cursor(first) : null,
    next,
    hasBefore,
    hasAfter,
  };
}

function lineBody(line: StoredLine, cursor: string): object {
  return {
    cursor,
    source: line.source,
    line: line.line,
    seq: line.seq,
    time: new Date(line.time).toISOString(),
    // The store keeps one printed order by capture time: a line's time is when it was captured.
    captured: new Date(line.time).toISOString(),
    stream: line.stream,
    level: line.level === 'none' ? null : line.level,
    text: line.text,
    end: line.end,
    tags: [],
    ...(line.span > 1 ? { span: line.span } : {}),
    ...(line.redraws ? { redraws: line.redraws.length } : {}),
  };
}

const searchCache = new WeakMap<StoredJob, Map<string, number[]>>();

function search(job: StoredJob, params: URLSearchParams): object {
  checkParams(params, SEARCH_PARAMS);
  const q = params.get('q') ?? '';
  const terms = queryTerms(q);
  if (q.length < 1 || q.length > 256 || terms.length === 0) throw invalid('q must be 1–256 characters');
  const limit = intParam(params, 'limit', 1, 500, 100);
  const filter = viewFilter(job, params);
  const all = matchingPositions(job, filter, terms);
  const after = params.get('after');
  const from = after === null ? 0 : lowerIndex(all, (cursorParam(job, filter, after) as number) + 1);
  const positions = all.slice(from, from + limit);
  return {
    jobId: job.jobId,
    total: Math.min(all.length, 10_000),
    totalExact: all.length <= 10_000,
    matches: positions.map((p) => {
      const line = job.at(p);
      const {
        cursor,
        source,
        line: number,
        seq,
        time,
        stream,
        level,
        text,
      } = lineBody(line, encodeCursor(job.jobId, filter.key, p)) as Record<string, unknown>;
      return { cursor, source, line: number, seq, time, stream, level, text, highlights: rawHighlights(line.text, terms) };
    }),
    next: from + limit < all.length ? encodeCursor(job.jobId, filter.key, positions[positions.length - 1]!) : null,
  };
}

/** Matches on the text as a person reads it (escape sequences removed), cached per query. */
function matchingPositions(job: StoredJob, filter: ViewFilter, terms: string[]): number[] {
  const cache = searchCache.get(job) ?? new Map<string, number[]>();
  searchCache.set(job, cache);
  const key = `${filter.key}|${terms.join('\u0000')}|${job.size}`;
  let positions = cache.get(key);
  if (!positions) {
    positions = [];
    for (let p = 0; p < job.size; p++) if (job.matches(p, filter.compiled) && matchesQuery(stripEscapes(job.text(p)), terms)) positions.push(p);
    if (cache.size > 16) cache.clear();
    cache.set(key, positions);
  }
  return positions;
}

function lowerIndex(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! >= value) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Highlight offsets in the raw text (SGR escape sequences included), as the doc asks. */
function rawHighlights(raw: string, terms: string[]): Array<[number, number]> {
  const visible: number[] = [];
  let plain = '';
  let last = 0;
  const keep = (from: number, to: number): void => {
    for (let i = from; i < to; i++) visible.push(i);
    plain += raw.slice(from, to);
  };
  for (const sgr of raw.matchAll(/\x1b\[[0-9;]*m/g)) {
    keep(last, sgr.index);
    last = sgr.index + sgr[0].length;
  }
  keep(last, raw.length);
  return termRanges(plain, terms).map(([s, e]) => [visible[s]!, visible[e - 1]! + 1]);
}

function redraws(job: StoredJob, params: URLSearchParams): object {
  checkParams(params, new Set(['cursor', 'source']));
  const position = decodeLineCursor(job.jobId, params.get('cursor') ?? '');
  if (position === null || position >= job.size) throw invalid('not a cursor of this job');
  const line = job.at(position);
  const states = (line.redraws ?? []).slice(-1000);
  return { jobId: job.jobId, states: states.map((text, i) => ({ time: new Date(line.time - (states.length - i) * 100).toISOString(), text })) };
}

function signerAnswer(job: StoredJob, base: string): object {
  const kibana = `https://kibana.example/app/discover#/?_g=(time:(from:now-7d,to:now))&_a=(query:(language:kuery,query:'labels.job_id:"${job.jobId}"'))`;
  return {
    status: job.status,
    downloadUrl: `${base}/_ref/downloads/${encodeURIComponent(job.jobId)}.log.gz`,
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    kibanaUrl: kibana,
    kibanaTraceUrl: null,
    ...(job.status === 'running' ? { detail: 'The job is still running: the file holds what it has printed so far.' } : {}),
  };
}

// ---- answers -----------------------------------------------------------------------------------

function sendJson(response: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: unknown): void {
  const known = error instanceof HttpError ? error : new HttpError(500, 'INTERNAL', 'internal error');
  if (!(error instanceof HttpError)) console.error('[reference-server]', error);
  sendJson(response, { error: { code: known.code, message: known.message } }, known.status, known.headers);
}

function sendPreflight(response: ServerResponse): void {
  response.writeHead(204, { 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization', 'Access-Control-Max-Age': '600' });
  response.end();
}
