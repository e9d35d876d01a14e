/**
 * The logs API's two figures, each against a baseline measured in the same run:
 *
 * - **page latency**: the first page and a page from the middle (limit 200) of a 1 000 000-line job
 *   of two sources, through the API as a client sees it (HTTP, the real handler and middy chain,
 *   a verified token, the registration read, the read-only identity from SSM), against one bare
 *   `_search` of the same page (the same query, sort and size) sent straight to Elasticsearch.
 *   Aim ≤ 1.5×.
 * - **tail freshness**: a job printing `--rate` lines/s for `--seconds` through the shipper (1 s
 *   flush, as deployed) while the indexer and assembler run as the template configures them;
 *   printed → returned by a waiting tail request (`after=<next>&wait=20`), against printed →
 *   visible to a bare poller of Elasticsearch every 100 ms (the pipeline's own freshness), both
 *   watching the same job. Aim p95 ≤ 3 s.
 * - **summary latency**: `GET /jobs/{jobId}` of the same job against its first page, each call
 *   after a document of another job is written and refreshed into the lines' and the chunk
 *   records' streams (as other jobs' indexing keeps doing on a deployed cluster: the shards'
 *   request caches start empty). Aim ≤ 1×: the summary, asked beside the first page, must not be
 *   what the viewer's first screen waits for.
 *
 *   tsx bench/logs-api.ts [--rounds 3] [--calls 200] [--rate 20] [--seconds 30]
 *
 * The 1M-line job is shipped and indexed once and kept (its id names the fixture's version).
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chunksIndex, lineKey, linesIndex, linesSearch, type Cursor } from '../shared/core/logs/index.js';
import { discardSink, esRequest, eventually, percentiles, registerTestJob, shipLines } from '../testkit/index.js';
import { machineNote, requireNode24, runRounds } from '../testkit/bench/index.js';
import { startIssuer, startLocalApi, type HttpApi } from '../testkit/http/index.js';
import { startLocalPipeline } from '../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, withLocalStack, type LocalStack } from '../testkit/stack/index.js';

const FIXTURE = { jobId: 'bench-logs-1m-v2', sources: { main: 600_000, 'rank-1': 400_000 } } as const;
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const timeOf = (source: string, i: number) => (source === 'main' ? T0 + i * 10 : T0 + 5 + i * 15);
const PAGE = 200;
const RATIO_AIM = 1.5;
const FRESHNESS_AIM_MS = 3_000;
const SUMMARY_AIM = 1;

interface Api {
  get<T>(route: string): Promise<T>;
}

/** Ships and indexes the 1M-line job unless an earlier run left it complete. */
async function ensureFixture(stack: LocalStack, api: Api): Promise<void> {
  // Complete in the cluster: the assembler may build the job's archive first, which answers as complete too.
  const indexed = (s: { status: string; archive?: true } | undefined) => s?.status === 'complete' && s.archive === undefined;
  if (indexed(await api.get<{ status: string; archive?: true }>(`/jobs/${FIXTURE.jobId}`).catch(() => undefined))) return;
  console.log(`[bench] shipping and indexing ${FIXTURE.jobId} (1 000 000 lines, once; kept for later runs)`);
  const pipeline = await startLocalPipeline({ stack, indexer: { concurrency: 2 }, assembler: {}, logStream: discardSink() });
  try {
    const started = Date.now();
    await registerTestJob(stack.s3, stack.bucket, FIXTURE.jobId).catch(() => undefined);
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-bench-logs-'));
    await Promise.all(
      Object.entries(FIXTURE.sources).map(([source, count]) =>
        shipLines({
          s3: stack.s3,
          bucket: stack.bucket,
          jobId: FIXTURE.jobId,
          spoolDir,
          source,
          count,
          text: (i) => `step ${i} loss=${(1 / (i + 1)).toFixed(6)} lr=3e-4 source=${source}`,
          time: (i) => timeOf(source, i),
        }),
      ),
    );
    await eventually(() => api.get<{ status: string; archive?: true }>(`/jobs/${FIXTURE.jobId}`), indexed, 'the 1M-line job indexed', 900_000);
    console.log(`[bench] fixture ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await pipeline.stop();
  }
}

/** `calls` timed calls, each after an untimed `before`. */
async function timeCalls(calls: number, call: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<{ p50: number; p95: number; mean: number }> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    await before?.();
    const started = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const { p50, p95 } = percentiles(ms);
  return { p50, p95, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

const PAGE_VARIANTS = ['bare-first', 'api-first', 'bare-middle', 'api-middle'] as const;
type PageVariant = (typeof PAGE_VARIANTS)[number];

/** The four calls: each API page and the bare `_search` of the very same page. */
async function pageCalls(_stack: LocalStack, api: Api, es: ReaderSearch): Promise<Record<PageVariant, () => Promise<unknown>>> {
  const middleAt = new Date(T0 + 3_000_000).toISOString();
  const middle = await api.get<{ lines: Array<{ cursor: string }> }>(`/jobs/${FIXTURE.jobId}/lines?at=${middleAt}&limit=1`);
  const middleCursor = middle.lines[0]!.cursor;
  const bareFrom = async (cursor: Cursor | 'start'): Promise<void> => {
    const { body } = linesSearch({ jobId: FIXTURE.jobId, filters: {} }, { kind: 'after', cursor }, { order: 'merged', size: PAGE + 1 });
    const answer = await es.search(body);
    if (answer.hits.hits.length !== PAGE + 1) throw new Error(`bare search returned ${answer.hits.hits.length} hits`);
  };
  // The cursor the API gave for the middle line, as the bare search's search_after.
  const first = await es.search({
    ...linesSearch({ jobId: FIXTURE.jobId, filters: {} }, { kind: 'at', time: Date.parse(middleAt) }, { order: 'merged', size: 1 }).body,
  });
  const middleKey: Cursor = { order: 'merged', key: lineKey(first.hits.hits[0] as never, 'merged') };
  const page = (query: string) => async () => {
    const body = await api.get<{ lines: unknown[] }>(`/jobs/${FIXTURE.jobId}/lines?${query}`);
    if (body.lines.length !== PAGE) throw new Error(`the API returned ${body.lines.length} lines`);
  };
  return {
    'bare-first': () => bareFrom('start'),
    'api-first': page(`limit=${PAGE}`),
    'bare-middle': () => bareFrom(middleKey),
    'api-middle': page(`after=${middleCursor}&limit=${PAGE}`),
  };
}

const SUMMARY_VARIANTS = ['api-first', 'api-summary'] as const;

/**
 * Another job's document written and refreshed into the lines' and the chunk records' streams, as
 * a deployed cluster's indexing keeps doing: a search after it finds the shards' request caches empty.
 */
async function otherJobIndexed(stack: LocalStack): Promise<void> {
  const stage = stack.info.resources.stage;
  const doc = { '@timestamp': new Date().toISOString(), labels: { job_id: 'bench-logs-other' } };
  for (const stream of [`logs-mlplatform.job-${stage}`, chunksIndex(stage)])
    await esRequest(stack.info.elasticsearch, 'POST', `/${stream}/_doc?refresh=true`, doc);
}

interface Freshness {
  p50: number;
  p95: number;
  max: number;
  lines: number;
}

/** One job printed at `rate` lines/s for `seconds`; both observers note when each line first reaches them. */
async function freshnessRun(
  stack: LocalStack,
  api: Api,
  es: ReaderSearch,
  o: { rate: number; seconds: number; round: number },
): Promise<Record<'es-poll' | 'api-tail', Freshness>> {
  const jobId = `bench-tail-${Date.now().toString(36)}-${o.round}`;
  await registerTestJob(stack.s3, stack.bucket, jobId);
  const count = o.rate * o.seconds;
  const printedAt = new Float64Array(count);
  const seen = { 'es-poll': new Float64Array(count), 'api-tail': new Float64Array(count) };
  let done = false;
  const tail = (async () => {
    let cursor = 'start';
    while (!done) {
      const page = await api.get<{ lines: Array<{ line: number }>; next: string; status: string; hasAfter: boolean }>(
        `/jobs/${jobId}/lines?after=${cursor}&wait=20&limit=1000`,
      );
      const now = Date.now();
      for (const l of page.lines) seen['api-tail'][l.line] ||= now;
      cursor = page.next;
      if (page.status === 'complete' && !page.hasAfter) return;
    }
  })();
  const poll = (async () => {
    let after = -1;
    while (!done || after < count - 1) {
      const answer = await es.search({
        size: 1000,
        track_total_hits: false,
        query: { bool: { filter: [{ term: { 'labels.job_id': jobId } }, { range: { 'joblogs.line': { gt: after } } }] } },
        sort: [{ 'joblogs.line': 'asc' }],
        _source: ['joblogs.line'],
      });
      const now = Date.now();
      for (const hit of answer.hits.hits as Array<{ _source: { joblogs: { line: number } } }>) {
        const line = hit._source.joblogs.line;
        seen['es-poll'][line] ||= now;
        after = Math.max(after, line);
      }
      if (after >= count - 1) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const every = Math.max(1, Math.round(o.rate / 10));
  await shipLines({
    s3: stack.s3,
    bucket: stack.bucket,
    jobId,
    spoolDir: mkdtempSync(path.join(tmpdir(), 'joblogs-bench-tail-')),
    count,
    text: (i) => {
      printedAt[i] = Date.now();
      return `tail ${i}`;
    },
    pauseEvery: every,
    pauseMs: (1000 * every) / o.rate,
  });
  done = true;
  await Promise.race([Promise.all([tail, poll]), new Promise((r) => setTimeout(r, 120_000))]);
  const figures = (name: 'es-poll' | 'api-tail'): Freshness => {
    const ms = Array.from(seen[name], (t, i) => (t > 0 ? t - printedAt[i]! : Number.NaN)).filter((v) => !Number.isNaN(v));
    const { p50, p95 } = percentiles(ms);
    return { p50, p95, max: Math.max(...ms), lines: ms.length };
  };
  return { 'es-poll': figures('es-poll'), 'api-tail': figures('api-tail') };
}

/** A bare `_search` of the stage's lines with the logs API's own read-only identity: the baseline. */
interface ReaderSearch {
  search(body: Record<string, unknown>): Promise<{ hits: { hits: Array<Record<string, any>> } }>;
}

async function readerClient(stack: LocalStack): Promise<ReaderSearch> {
  const name = stack.info.resources.logsApi.environment['ES_READER_CREDENTIALS_PARAM']!;
  const credentials = JSON.parse((await stack.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!.Value!) as {
    username: string;
    password: string;
  };
  const reader = { url: stack.info.elasticsearch.url, ...credentials };
  return { search: (body) => esRequest(reader, 'POST', `/${linesIndex(stack.info.resources.stage)}/_search`, body) };
}

async function main(): Promise<void> {
  requireNode24();
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      calls: { type: 'string', default: '200' },
      rate: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '30' },
    },
  });
  const [rounds, calls, rate, seconds] = [values.rounds, values.calls, values.rate, values.seconds].map(Number) as [number, number, number, number];
  if (![rounds, calls, rate, seconds].every((n) => Number.isInteger(n) && n >= 1))
    throw new Error('--rounds, --calls, --rate and --seconds are whole numbers ≥ 1');
  console.log(`logs API bench: ${machineNote()}\n`);
  await withLocalStack(async (info) => {
    const stack = loadStack(info);
    Object.assign(process.env, awsLocalEnv(info));
    const idp = await startIssuer({ audience: info.resources.logsApi.environment['JWT_AUDIENCE']! });
    const token = await idp.token({ sub: 'alice', teams: ['vision'] }, { expiresInS: 7200 });
    const server: HttpApi = await startLocalApi({ stack: info, issuer: idp.issuer, logStream: discardSink() });
    const api: Api = {
      async get<T>(route: string): Promise<T> {
        const response = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
        if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
        return (await response.json()) as T;
      },
    };
    const es = await readerClient(stack);
    try {
      await ensureFixture(stack, api);
      const pages = await pageCalls(stack, api, es);
      console.log(
        `## page latency: ${calls} calls × ${rounds} rounds, limit ${PAGE}, a 1 000 000-line job of two sources; bare = one _search of the same page\n`,
      );
      await runRounds({
        name: 'logs-api-pages',
        variants: PAGE_VARIANTS,
        baseline: (v) => (v.endsWith('first') ? 'bare-first' : 'bare-middle'),
        rounds,
        warmup: true,
        measure: (variant) => timeCalls(calls, pages[variant]),
        columns: [
          { label: 'p50 ms', value: (r) => r.p50, digits: 2 },
          { label: 'p95 ms', value: (r) => r.p95, digits: 2 },
          { label: 'mean ms', value: (r) => r.mean, digits: 2 },
          { label: 'mean vs bare', value: (r, bare) => r.mean / bare.mean, digits: 2, unit: '×' },
        ],
        aim: [
          { variant: 'api-first', column: 'mean vs bare', atMost: RATIO_AIM },
          { variant: 'api-middle', column: 'mean vs bare', atMost: RATIO_AIM },
        ],
        context: { calls, rounds, page: PAGE, fixture: FIXTURE },
      });

      console.log(`\n## summary latency: ${calls} calls × ${rounds} rounds, each after another job's document is indexed and refreshed\n`);
      const summaryCalls: Record<(typeof SUMMARY_VARIANTS)[number], () => Promise<unknown>> = {
        'api-first': pages['api-first'],
        'api-summary': () => api.get(`/jobs/${FIXTURE.jobId}`),
      };
      await runRounds({
        name: 'logs-api-summary',
        variants: SUMMARY_VARIANTS,
        baseline: 'api-first',
        rounds,
        warmup: true,
        measure: (variant) => timeCalls(calls, summaryCalls[variant], () => otherJobIndexed(stack)),
        columns: [
          { label: 'p50 ms', value: (r) => r.p50, digits: 2 },
          { label: 'p95 ms', value: (r) => r.p95, digits: 2 },
          { label: 'mean ms', value: (r) => r.mean, digits: 2 },
          { label: 'p50 vs first page', value: (r, page) => r.p50 / page.p50, digits: 2, unit: '×' },
        ],
        aim: [{ variant: 'api-summary', column: 'p50 vs first page', atMost: SUMMARY_AIM }],
        context: { calls, rounds, fixture: FIXTURE },
      });

      console.log(`\n## tail freshness: ${rate} lines/s for ${seconds} s per round, shipper flush 1 s, functions as the template runs them\n`);
      const pipeline = await startLocalPipeline({ stack, indexer: {}, assembler: {}, logStream: discardSink() });
      const perRound = new Map<number, ReturnType<typeof freshnessRun>>();
      try {
        await runRounds({
          name: 'logs-api-freshness',
          variants: ['es-poll', 'api-tail'] as const,
          baseline: 'es-poll',
          rounds,
          measure: async (variant, round) => {
            if (!perRound.has(round)) perRound.set(round, freshnessRun(stack, api, es, { rate, seconds, round }));
            return (await perRound.get(round)!)[variant];
          },
          columns: [
            { label: 'lines', value: (r) => r.lines, digits: 0 },
            { label: 'p50 ms', value: (r) => r.p50, digits: 0 },
            { label: 'p95 ms', value: (r) => r.p95, digits: 0 },
            { label: 'max ms', value: (r) => r.max, digits: 0 },
            { label: 'p95 vs es-poll', value: (r, base) => r.p95 / base.p95, digits: 2, unit: '×' },
          ],
          aim: [{ variant: 'api-tail', column: 'p95 ms', atMost: FRESHNESS_AIM_MS }],
          context: { rate, seconds, rounds },
        });
      } finally {
        await pipeline.stop();
      }
    } finally {
      await server.close();
      await idp.close();
      await stack.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[bench] logs-api failed:', error);
    process.exit(1);
  },
);
