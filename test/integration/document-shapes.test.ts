/**
 * Documents of both shapes during a stage's retention (docs/search-storage.md, "Upgrading a
 * stage"): a template change reaches only the backing indices created after it, so a deployed
 * stage holds documents stored as written (every field indexed, stored `_source`) beside lean ones
 * (and, on Elasticsearch with synthetic source, `logsdb` ones) until the old indices expire. The
 * logs API must answer a job from either, and a job whose sources straddle the rollover, the same.
 *
 * One data stream of its own (dataset `mlplatform.shapes`) gets the templates as they were before
 * through an index template above the stage's; the real indexer (the stack's kind) writes a job
 * and half of another into it; the stream is rolled over onto the stage's current templates and
 * the rest is written; the real logs API reads all of it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateNames } from '../../shared/core/cluster/index.js';
import {
  discardSink,
  esRequest,
  eventually,
  installStoredAsWrittenTemplates,
  overrideStreamTemplates,
  registerTestJob,
  shipLines,
} from '../../testkit/index.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';

const DATASET = 'mlplatform.shapes';
/** Holds the component templates of the old shape; never a stage anything writes to. */
const OLD_STAGE = 'shapesold';
const OLD_TEMPLATE = 'joblogs-test-shapes-stored-as-written';
const OWNER = { owner: 'alice', team: 'vision' };
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const LINES = 300;

let stack: LocalStack;
let pipeline: LocalPipeline;
let idp: LocalIssuer;
let api: HttpApi;
let alice: string;
let work: string;
let dataStream: string;
const savedEnv = { ...process.env };
const run = randomUUID().slice(0, 8);
/** Only old-shape documents. */
const oldJob = `shapes-old-${run}`;
/** Source `early` written before the rollover, `late` after it. */
const mixedJob = `shapes-mixed-${run}`;

/** Line `i` of a source: plain, levelled, JSON and a progress bar's redraws, so every field the API reads is set somewhere. */
function textOf(source: string, i: number): string {
  if (i % 50 === 7) return `2026-11-25 10:00:00,000 ERROR trainer: step ${i} failed on ${source} needle${source}`;
  if (i % 10 === 3) return JSON.stringify({ level: 'warning', message: `json line ${i} of ${source}`, step: i, loss: 1 / (i + 1) });
  if (i % 10 >= 5 && i % 10 <= 6) return `Epoch 0: ${i}% of ${source}`;
  return `step ${i} of ${source}`;
}
const endOf = (i: number) => (i % 10 === 5 ? '\r' : '\n');

async function get<T = any>(route: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${api.url}${route}`, { headers: { authorization: `Bearer ${alice}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** Every item of a job through the API, page after page, in the order asked for. */
async function allLines(jobId: string, query = ''): Promise<any[]> {
  const lines: any[] = [];
  for (let after = 'start'; ; ) {
    const page = await get(`/jobs/${jobId}/lines?limit=97&after=${encodeURIComponent(after)}${query}`);
    expect(page.status).toBe(200);
    lines.push(...page.body.lines);
    if (!page.body.hasAfter) return lines;
    after = page.body.next;
  }
}

async function ship(jobId: string, source: string, timeOffset: number): Promise<void> {
  await shipLines({
    s3: stack.s3,
    bucket: stack.bucket,
    jobId,
    source,
    spoolDir: path.join(work, `${jobId}-${source}`),
    count: LINES,
    text: (i) => textOf(source, i),
    end: endOf,
    time: (i) => T0 + timeOffset + i * 10,
    shipper: { dataset: DATASET },
  });
}

/** Complete from the cluster, every line searchable (not from the archive the assembler may build first). */
const complete = (jobId: string) =>
  eventually(
    () => get(`/jobs/${jobId}`),
    (a) => a.body.status === 'complete' && a.body.archive === undefined,
    `${jobId} complete in the cluster`,
    120_000,
  );

/** Each backing index of the stream with what it stores: its index mode and codec. */
async function backingIndices(): Promise<Array<{ index: string; mode: string; codec: string }>> {
  const settings = await esRequest(stack.info.elasticsearch, 'GET', `/${dataStream}/_settings?flat_settings=true&include_defaults=true`);
  return Object.entries(settings as Record<string, { settings: Record<string, string>; defaults: Record<string, string> }>)
    .map(([index, s]) => {
      const value = (k: string) => s.settings[k] ?? s.defaults[k] ?? '';
      return { index, mode: value('index.mode'), codec: value('index.codec') };
    })
    .sort((a, b) => a.index.localeCompare(b.index));
}

beforeAll(async () => {
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  dataStream = `logs-${DATASET}-${stack.info.resources.stage}`;
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-shapes-'));
  idp = await startIssuer({ audience: stack.info.resources.logsApi.environment['JWT_AUDIENCE']! });
  alice = await idp.token({ sub: 'alice', teams: [] });
  api = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), logStream: discardSink() });

  // Before: this stream's next backing index takes the templates every stage had before issue 17.
  await installStoredAsWrittenTemplates(stack, OLD_STAGE);
  await overrideStreamTemplates(stack.info.elasticsearch, { name: OLD_TEMPLATE, dataStream, stage: OLD_STAGE });
  await esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_rollover`).catch(() => undefined); // a stream left by an earlier run
  await registerTestJob(stack.s3, stack.bucket, oldJob, OWNER);
  await registerTestJob(stack.s3, stack.bucket, mixedJob, OWNER);
  await ship(oldJob, 'main', 0);
  await ship(mixedJob, 'early', 0);
  await eventually(
    () => esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_count`, { query: { terms: { 'labels.job_id': [oldJob, mixedJob] } } }),
    (a) => a.count > 0 && a.count === 2 * (LINES - LINES / 10),
    'both old-shape sources indexed',
    120_000,
  );
  await complete(oldJob);

  // The upgrade: the stage's current templates from the next backing index on (OpenSearch refuses
  // to delete a template a data stream uses, so the override is pointed at them instead).
  await overrideStreamTemplates(stack.info.elasticsearch, { name: OLD_TEMPLATE, dataStream, stage: stack.info.resources.stage });
  await esRequest(stack.info.elasticsearch, 'POST', `/${dataStream}/_rollover`);
  await ship(mixedJob, 'late', 5);
  await complete(mixedJob);
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
  await api?.close();
  await idp?.close();
  const names = templateNames(OLD_STAGE);
  // A template in use cannot go (OpenSearch): the stream first, where the cluster can delete one.
  await esRequest(stack.info.elasticsearch, 'DELETE', `/_data_stream/${dataStream}`).catch(() => undefined);
  for (const p of [
    `/_index_template/${OLD_TEMPLATE}`,
    `/_index_template/${names.index}`,
    `/_index_template/${names.chunks}`,
    `/_component_template/${names.mappings}`,
    `/_component_template/${names.settings}`,
  ]) {
    await esRequest(stack.info.elasticsearch, 'DELETE', p).catch(() => undefined);
  }
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  process.env = savedEnv;
});

/** What the API must say about line `i` of a source (bars collapsed: `\r` states end in their next line's item). */
function expectedItems(source: string): Array<{ line: number; text: string; level: string | null; redraws?: number }> {
  const items: Array<{ line: number; text: string; level: string | null; redraws?: number }> = [];
  for (let i = 0; i < LINES; i++) {
    if (endOf(i) === '\r') continue;
    const bar = i > 0 && endOf(i - 1) === '\r';
    const text = textOf(source, i);
    const json = text.startsWith('{');
    items.push({
      line: bar ? i - 1 : i,
      text: json ? `json line ${i} of ${source}` : text,
      level: i % 50 === 7 ? 'error' : json ? 'warning' : null,
      ...(bar ? { redraws: 1 } : {}),
    });
  }
  return items;
}

describe('the logs API over documents stored as written and lean ones (one stage, one data stream)', () => {
  it('holds the first job in a backing index stored as written and the rest in one of the current shape', async () => {
    const indices = await backingIndices();
    const withDocs = [];
    for (const i of indices) {
      const { count } = await esRequest(stack.info.elasticsearch, 'POST', `/${i.index}/_count`, { query: { terms: { 'labels.job_id': [oldJob, mixedJob] } } });
      if (count > 0) withDocs.push(i);
    }
    expect(withDocs).toHaveLength(2);
    expect(withDocs[0]!.codec).not.toBe('best_compression');
    expect(withDocs[1]!.codec).toBe('best_compression');
    if (stack.info.elasticsearch.kind !== 'opensearch-2') expect(withDocs[0]!.mode).toBe('standard');
  });

  it('answers a job indexed with the old shape: every line, its level, redraws, and a page from a line number', async () => {
    const lines = await allLines(oldJob);
    expect(lines.map(({ line, text, level, redraws }) => ({ line, text, level, ...(redraws ? { redraws } : {}) }))).toEqual(expectedItems('main'));
    const from = await get(`/jobs/${oldJob}/lines?from=120&limit=3`);
    expect(from.body.lines.map((l: any) => l.line)).toEqual([120, 121, 122]);
  });

  it('answers a job whose sources straddle the rollover in printed order, with search and summary across both shapes', async () => {
    const merged = await allLines(mixedJob);
    const early = expectedItems('early');
    const late = expectedItems('late');
    expect(merged).toHaveLength(early.length + late.length);
    expect(merged.filter((l) => l.source === 'early').map((l) => l.text)).toEqual(early.map((l) => l.text));
    expect(merged.filter((l) => l.source === 'late').map((l) => l.text)).toEqual(late.map((l) => l.text));
    // Merged order is capture time: `late` lines are 5 ms after `early`'s of the same number.
    expect(merged.slice(0, 4).map((l) => `${l.source}:${l.line}`)).toEqual(['early:0', 'late:0', 'early:1', 'late:1']);
    const onlyLate = await allLines(mixedJob, '&source=late&level=error');
    expect(onlyLate.map((l) => l.line)).toEqual(late.filter((l) => l.level === 'error').map((l) => l.line));

    for (const source of ['early', 'late']) {
      const found = await get(`/jobs/${mixedJob}/search?q=${encodeURIComponent(`needle${source}`)}`);
      expect(found.status).toBe(200);
      expect(found.body.matches.map((m: any) => m.line)).toEqual(early.filter((l) => l.level === 'error').map((l) => l.line));
      expect(found.body.matches.every((m: any) => m.source === source && m.text.includes(`needle${source}`) && m.highlights.length > 0)).toBe(true);
    }
    const summary = await get(`/jobs/${mixedJob}`);
    expect(summary.body.errors.total).toBe(2 * early.filter((l) => l.level === 'error').length);
    expect(summary.body.levels.error).toBe(2 * early.filter((l) => l.level === 'error').length);
  });

  it('reads a collapsed bar of either shape back from its chunk', async () => {
    for (const source of ['early', 'late']) {
      const bar = (await allLines(mixedJob, `&source=${source}`)).find((l) => l.redraws === 1)!;
      const redraws = await get(`/jobs/${mixedJob}/redraws?cursor=${encodeURIComponent(bar.cursor)}&source=${source}`);
      expect(redraws.status).toBe(200);
      expect(JSON.stringify(redraws.body)).toContain(`Epoch 0: 5% of ${source}`);
    }
  });
});
