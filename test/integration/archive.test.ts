/**
 * Jobs whose documents have aged out of the cluster, answered from their archive (docs/archive.md)
 * on the local stack: the real shipper, indexer and assembler build a job of two sources (ANSI
 * colours, `\r` progress bars, a grouped traceback, JSON log lines with levels); the logs API's
 * answers are recorded while its documents are in Elasticsearch, the documents are deleted as
 * retention would, and a fresh API (a cold container) must give the same answers from S3 —
 * summary, pages both ways, one source's order, permalinks, filters, search, a bar's redraws —
 * flagged `archive: true`. A job aged out before its archive exists is answered 202 while the
 * assembler builds it; a corrupt archive is a clear 500, never a crash.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKeys } from '../../shared/core/archive/index.js';
import { withoutColours } from '../../shared/core/contract/index.js';
import { linesIndex, printedText } from '../../shared/core/logs/index.js';
import { deleteJobDocuments, deletePrefix, discardSink, esRequest, eventually, readObject, registerTestJob, shipLines } from '../../testkit/index.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { START, trainingLine } from '../../viewer/dev/synthetic-jobs.js';

const OWNER = { owner: 'alice', team: 'vision' };
const MAIN_LINES = 6_000;
const RANK_LINES = 3_000;

let stack: LocalStack;
let pipeline: LocalPipeline;
let idp: LocalIssuer;
let api: HttpApi;
let work: string;
let alice: string;
let bob: string;
const savedEnv = { ...process.env };
const run = randomUUID().slice(0, 8);

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function get(route: string, o: { token?: string; base?: string } = {}): Promise<Answer> {
  const response = await fetch(`${o.base ?? api.url}${route}`, { headers: { authorization: `Bearer ${o.token ?? alice}` } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, headers: response.headers };
}

/** A JSON line of a logger (its message and level are what the cluster indexes), or plain text. */
function rankLine(i: number): string {
  if (i % 500 === 13) return JSON.stringify({ level: 'error', msg: `rank-1 lost its peer at step ${i}`, step: i });
  if (i % 7 === 0) return JSON.stringify({ level: 'info', msg: `rank-1 step ${i} synced`, step: i });
  if (i % 333 === 0) return `WARNING rank-1 slow all-reduce at step ${i}`;
  return `rank-1 step ${i} loss=${(1 / (i + 1)).toFixed(5)}`;
}

/** Ships one job of two sources and waits until its lines are searchable and its archive is built. */
async function shipJob(jobId: string): Promise<void> {
  await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
  const main = (n: number) => trainingLine(n, MAIN_LINES);
  await Promise.all([
    shipLines({
      s3: stack.s3,
      bucket: stack.bucket,
      jobId,
      spoolDir: path.join(work, jobId, 'main'),
      source: 'main',
      count: MAIN_LINES,
      text: (n) => main(n).text,
      stream: (n) => main(n).stream,
      end: (n) => main(n).end as '\n' | '\r',
      time: (n) => main(n).time,
      exitCode: 1,
      shipper: { maxChunkBytes: 64 * 1024 },
    }),
    shipLines({
      s3: stack.s3,
      bucket: stack.bucket,
      jobId,
      spoolDir: path.join(work, jobId, 'rank-1'),
      source: 'rank-1',
      count: RANK_LINES,
      text: rankLine,
      stream: (i) => (i % 500 === 13 ? 'stderr' : 'stdout'),
      time: (i) => START + 3 + i * 20,
    }),
  ]);
  await eventually(
    () => get(`/jobs/${jobId}`),
    (a) => a.status === 200 && a.body.status === 'complete' && a.body.archive === undefined,
    `${jobId} fully indexed`,
    180_000,
  );
  await eventually(
    () => readObject(stack.s3, stack.bucket, archiveKeys(jobId).index).catch(() => undefined),
    (b) => b !== undefined,
    `${jobId}'s archive built`,
    120_000,
  );
}

/** Every page of a route, following `next` (forward) or `prev` (backward). */
async function allPages(route: string, direction: 'next' | 'prev', base?: string): Promise<Answer[]> {
  const pages: Answer[] = [];
  let url = route;
  for (;;) {
    const page = await get(url, { base });
    pages.push(page);
    const to = page.body[direction];
    const more = direction === 'next' ? page.body.hasAfter : page.body.hasBefore;
    if (page.status !== 200 || !more || !to) return pages;
    const [pathPart, query = ''] = route.split('?');
    const params = new URLSearchParams(query);
    params.delete('after');
    params.delete('before');
    params.set(direction === 'next' ? 'after' : 'before', to);
    url = `${pathPart}?${params}`;
  }
}

/** Every highlighted part of a search's matches, as printed. */
const highlighted = (answer: Answer): Set<string> =>
  new Set(answer.body.matches.flatMap((m: any) => m.highlights.map(([a, b]: [number, number]) => m.text.slice(a, b))));

const stage = () => stack.info.resources.logsApi.environment['STAGE']!;

const withoutFlag = (body: any) => {
  const { archive: _archive, ...rest } = body;
  return rest;
};

const job = `archive-${run}`;
/** The routes whose answers must not change when the job's documents age out. */
const routes: string[] = [];
const fromCluster = new Map<string, Answer[]>();

beforeAll(async () => {
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-archive-'));
  idp = await startIssuer({ audience: stack.info.resources.logsApi.environment['JWT_AUDIENCE']! });
  alice = await idp.token({ sub: 'alice', teams: [] });
  bob = await idp.token({ sub: 'bob', teams: ['other'] });
  api = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler() });
  await shipJob(job);
}, 400_000);

afterAll(async () => {
  await pipeline?.stop();
  await api?.close();
  await idp?.close();
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  process.env = savedEnv;
});

/** The cluster's answers to a route: every page of it (one page for the summary and searches without `next`). */
async function recordCluster(route: string, pages: 'one' | 'next' | 'prev'): Promise<Answer[]> {
  const answers = pages === 'one' ? [await get(route)] : await allPages(route, pages);
  for (const a of answers) expect(a.status, `${route}: ${JSON.stringify(a.body).slice(0, 300)}`).toBe(200);
  for (const a of answers) expect(a.body.archive, `${route} answered from the cluster`).toBeUndefined();
  routes.push(route);
  fromCluster.set(`${pages} ${route}`, answers);
  return answers;
}

describe('a coloured line in the cluster', () => {
  it('is indexed as shown, its colour codes kept apart, and read back as printed', async () => {
    const query = {
      bool: { filter: [{ term: { 'labels.job_id': job } }, { term: { 'joblogs.source': 'main' } }, { match_phrase: { message: 'INFO step' } }] },
    };
    const found = await esRequest(stack.info.elasticsearch, 'POST', `/${linesIndex(stage())}/_search`, { size: 1, query });
    const source = found.hits.hits[0]?._source;
    expect(source?.message, 'a green INFO step line, found by its words as shown').toMatch(/^INFO step \d+ loss=[0-9.]+ lr=/);
    expect(source.joblogs.colours).toMatch(/^0@32,4@0,/);
    const line = Number(source.joblogs.line);
    expect(printedText(source)).toBe(trainingLine(line, MAIN_LINES).text);
    const page = await get(`/jobs/${job}/lines?source=main&from=${line}&limit=1`);
    expect(page.body.lines[0].text).toBe(printedText(source));
  });
});

describe('archive: a job whose documents aged out answers as before', () => {
  it('records the answers from Elasticsearch, ages the job out, and gets the same answers from the archive, flagged', async () => {
    const jobPath = `/jobs/${job}`;
    const forward = await recordCluster(`${jobPath}/lines?limit=700`, 'next');
    const lines = forward.flatMap((p) => p.body.lines);
    expect(lines.length).toBeGreaterThan(7_000);
    expect(
      lines.some((l: any) => l.span > 1),
      'a grouped traceback',
    ).toBe(true);
    expect(
      lines.some((l: any) => l.redraws > 0),
      'a collapsed progress bar',
    ).toBe(true);
    expect(
      lines.some((l: any) => l.level === 'error' && l.source === 'rank-1'),
      'a JSON error line',
    ).toBe(true);
    const middle = lines[Math.floor(lines.length / 2)];
    const bar = lines.find((l: any) => l.redraws > 0);
    await recordCluster(jobPath, 'one');
    await recordCluster(`${jobPath}/lines?before=end&limit=900`, 'prev');
    await recordCluster(`${jobPath}/lines?source=main&limit=1000`, 'next');
    await recordCluster(`${jobPath}/lines?source=rank-1&from=1500&limit=300`, 'one');
    await recordCluster(`${jobPath}/lines?at=${encodeURIComponent(middle.time)}&limit=250`, 'one');
    await recordCluster(`${jobPath}/lines?around=${middle.cursor}&limit=101`, 'one');
    await recordCluster(`${jobPath}/lines?level=error,warn&limit=50`, 'next');
    await recordCluster(`${jobPath}/lines?level=none&stream=stderr&limit=200`, 'next');
    await recordCluster(`${jobPath}/search?q=peer&limit=4`, 'one');
    await recordCluster(`${jobPath}/search?q=${encodeURIComponent('"lost its peer" step')}&limit=500`, 'one');
    await recordCluster(`${jobPath}/search?q=clipped&source=main&limit=20`, 'one');
    // Words inside colour codes (a green `INFO`, a yellow `WARNING`): found, highlighted in the text as printed.
    const [info] = await recordCluster(`${jobPath}/search?q=INFO&source=main&limit=30`, 'one');
    const [warning] = await recordCluster(`${jobPath}/search?q=${encodeURIComponent('"WARNING step" clipped')}&limit=20`, 'one');
    expect(highlighted(info!)).toEqual(new Set(['INFO']));
    expect(info!.body.total, 'lines with a green INFO').toBeGreaterThan(30);
    expect(warning!.body.matches.length, 'lines with a yellow WARNING').toBeGreaterThan(0);
    for (const word of highlighted(warning!)) expect(['WARNING step', 'WARNING', 'step', 'clipped']).toContain(withoutColours(word));
    await recordCluster(`${jobPath}/redraws?cursor=${bar.cursor}`, 'one');

    const deleted = await deleteJobDocuments({ info: stack.info }, stage(), job);
    expect(deleted).toBeGreaterThan(lines.length);
    // A new container: nothing of the job is cached from before it aged out.
    const cold = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
    try {
      for (const [key, expected] of fromCluster) {
        const [pages, route] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
        const answers = pages === 'one' ? [await get(route, { base: cold.url })] : await allPages(route, pages as 'next' | 'prev', cold.url);
        expect(
          answers.map((a) => a.status),
          route,
        ).toEqual(expected.map(() => 200));
        for (const a of answers) expect(a.body.archive, route).toBe(true);
        expect(
          answers.map((a) => withoutFlag(a.body)),
          route,
        ).toEqual(expected.map((a) => a.body));
      }
      // Exactly once: every document of the job in the archive, none twice, as many as the cluster held.
      const index = JSON.parse((await readObject(stack.s3, stack.bucket, archiveKeys(job).index)).toString('utf8'));
      const cursors = lines.map((l: any) => l.cursor);
      expect(new Set(cursors).size).toBe(cursors.length);
      expect(index.records).toBe(lines.length);
      expect(deleted).toBe(lines.length + index.progress.reduce((n: number, p: any) => n + p.chunks, 0));
    } finally {
      await cold.close();
    }
  }, 300_000);

  it("keeps the job's authorisation: someone outside its owner and team is refused", async () => {
    const answer = await get(`/jobs/${job}/lines?limit=5`, { token: bob });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('FORBIDDEN');
  });
});

describe('archive: a job partly aged out', () => {
  it('answers from the archive when the older part of its documents is gone (an older backing index deleted), as the whole job', async () => {
    const partly = `archive-partly-${run}`;
    await shipJob(partly);
    const whole = await allPages(`/jobs/${partly}/lines?limit=1000`, 'next');
    expect(whole.every((p) => p.body.archive === undefined)).toBe(true);
    // Chunk 0 of each source, its documents and its record: what an older backing index held.
    const deleted = await deleteJobDocuments({ info: stack.info }, stage(), partly, { term: { 'joblogs.chunk_seq': 0 } });
    expect(deleted).toBeGreaterThan(0);
    const cold = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
    try {
      const pages = await allPages(`/jobs/${partly}/lines?limit=1000`, 'next', cold.url);
      expect(pages.every((p) => p.body.archive === true)).toBe(true);
      expect(pages.map((p) => withoutFlag(p.body))).toEqual(whole.map((p) => p.body));
    } finally {
      await cold.close();
    }
  }, 300_000);
});

describe('archive: before it exists, and when it is broken', () => {
  it('answers 202 with Retry-After while the assembler builds the archive of a job that aged out without one, then serves it', async () => {
    const late = `archive-late-${run}`;
    await shipJob(late);
    await deleteJobDocuments({ info: stack.info }, stage(), late);
    await deletePrefix(stack.s3, stack.bucket, `downloads/${late}.archive`);
    // Just finished: no documents and no archive is "not indexed yet", as before the archive existed.
    const young = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
    // Finished long enough ago (here: at once) to have aged out.
    const old = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink(), env: { AGED_OUT_AFTER_SECONDS: '0' } });
    try {
      const notYet = await get(`/jobs/${late}`, { base: young.url });
      expect(notYet.status).toBe(200);
      expect(notYet.body).toMatchObject({ status: 'running', lineCount: MAIN_LINES + RANK_LINES });
      expect(notYet.body.archive).toBeUndefined();
      const pending = await get(`/jobs/${late}/lines?limit=10`, { base: old.url });
      expect(pending.status).toBe(202);
      expect(pending.body.error.code).toBe('ARCHIVING');
      expect(Number(pending.headers.get('retry-after'))).toBeGreaterThan(0);
      const served = await eventually(
        () => get(`/jobs/${late}/lines?limit=10`, { base: old.url }),
        (a) => a.status === 200,
        'the archive built on request',
        120_000,
      );
      expect(served.body.archive).toBe(true);
      expect(served.body.lines).toHaveLength(10);
      // However often the client asked meanwhile, the archive was asked for and built once more (the first build was when the job finished).
      const builds = pipeline.logs.filter((l) => l['jobId'] === late && /^archive (built|exists)/.test(String(l.message)));
      expect(builds.map((l) => l.message)).toEqual(['archive built', 'archive built']);
    } finally {
      await young.close();
      await old.close();
    }
  }, 400_000);

  it('answers a clear 500 ARCHIVE_UNREADABLE for a corrupt index or member, and keeps serving other jobs', async () => {
    const broken = `archive-broken-${run}`;
    await shipJob(broken);
    await deleteJobDocuments({ info: stack.info }, stage(), broken);
    const keys = archiveKeys(broken);
    const records = await readObject(stack.s3, stack.bucket, keys.records);
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: keys.records, Body: Buffer.alloc(records.length, 0x41) }));
    const cold = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
    try {
      const badMember = await get(`/jobs/${broken}/lines?limit=10`, { base: cold.url });
      expect(badMember.status).toBe(500);
      expect(badMember.body.error.code).toBe('ARCHIVE_UNREADABLE');
      expect(badMember.body.error.message).toMatch(/not valid gzip/);
      await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: keys.index, Body: '{"version":1,"jobId":' }));
    } finally {
      await cold.close();
    }
    const colder = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
    try {
      const badIndex = await get(`/jobs/${broken}`, { base: colder.url });
      expect(badIndex.status).toBe(500);
      expect(badIndex.body.error).toEqual({ code: 'ARCHIVE_UNREADABLE', message: `The archive index of job ${broken} is not JSON` });
      expect((await get(`/jobs/${job}/lines?limit=3`, { base: colder.url })).status).toBe(200);
    } finally {
      await colder.close();
    }
  }, 400_000);
});
