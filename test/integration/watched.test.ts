/**
 * Fresh when watched, on the local stack: a job printing slowly under the real shipper (idle
 * interval, fresh start and watch polls shortened so the test runs in seconds) ships few chunks
 * while nobody watches; once a client follows it through the logs API's long-poll tail (the
 * viewer's follow mode) the API writes the job's watch signal, the shipper reads it and its new
 * lines reach the tail while the job still runs. Ends with the exactly-once invariant:
 * printed == Elasticsearch == download file, and the tail saw every line once, in order.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames } from '../../shared/core/contract/index.js';
import { parseWatchSignal, watchKey } from '../../shared/core/watch/index.js';
import { Shipper, type ShipperEvent } from '../../shared/shipper/index.js';
import {
  checkExactlyOnce,
  describeVerdict,
  discardSink,
  downloadLinesView,
  eventually,
  readGzipObjects,
  readObject,
  registerTestJob,
  writeSuiteResults,
  type PrintedChunk,
  type SuiteRow,
} from '../../testkit/index.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const OWNER = { owner: 'alice', team: 'vision' };
/** The cadence under test, shortened: 1 s watched (the default), 2 min idle, a 2 s fresh start, a read of the signal every ~1 s. */
const CADENCE = { flushIntervalMs: 1_000, idleFlushIntervalMs: 120_000, freshStartMs: 2_000, watchPollIntervalMs: 1_000 };
const LINE_GAP_MS = 250;

let stack: LocalStack;
let pipeline: LocalPipeline;
let idp: LocalIssuer;
let api: HttpApi;
let alice: string;
let work: string;
const savedEnv = { ...process.env };
const rows: SuiteRow[] = [];

beforeAll(async () => {
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-watched-'));
  idp = await startIssuer({ audience: stack.info.resources.logsApi.environment['JWT_AUDIENCE']! });
  alice = await idp.token({ sub: 'alice', teams: [] });
  api = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink() });
  pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), logStream: discardSink() });
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
  await api?.close();
  await idp?.close();
  await stack?.close();
  process.env = savedEnv;
  if (work) rmSync(work, { recursive: true, force: true });
  if (rows.length > 0)
    writeSuiteResults({
      suite: 'watched',
      title: 'Fresh when watched: a slow job under the shipper, unwatched and then followed through the logs API (local stack)',
      notes: [`Shipper cadence shortened for the test: ${JSON.stringify(CADENCE)}; one line every ${LINE_GAP_MS} ms.`],
      rows,
    });
});

interface TailLine {
  line: number;
  text: string;
  at: number;
}

/** Follows a job through `after=<next>&wait=5` until stopped and then until the job is complete. */
function follow(jobId: string) {
  const seen: TailLine[] = [];
  let stopping = false;
  const done = (async () => {
    let cursor = 'start';
    for (;;) {
      const response = await fetch(`${api.url}/jobs/${jobId}/lines?after=${cursor}&wait=5&limit=1000`, { headers: { authorization: `Bearer ${alice}` } });
      const body = (await response.json()) as { lines: Array<{ line: number; text: string }>; next: string; status: string; hasAfter: boolean };
      if (response.status !== 200) throw new Error(`tail answered ${response.status}: ${JSON.stringify(body)}`);
      const at = Date.now();
      seen.push(...body.lines.map((l) => ({ line: l.line, text: l.text, at })));
      cursor = body.next;
      if (stopping && body.status === 'complete' && !body.hasAfter) return;
    }
  })();
  return { seen, finish: () => ((stopping = true), done) };
}

async function shippedChunks(jobId: string): Promise<PrintedChunk[]> {
  const objects = await readGzipObjects(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
  return objects.map(({ key, text }) => {
    const frames = decodeFrames(text);
    return { key, frames: frames.map((f) => ({ line: f.line!, stream: f.stream })), lines: frames.map((f) => f.bytes.toString('utf8')) };
  });
}

describe('fresh when watched', () => {
  it('ships few chunks while nobody watches; once the job is followed through the logs API its new lines reach the tail while it runs; every line exactly once', async () => {
    const jobId = `watched-${randomUUID().slice(0, 8)}`;
    await registerTestJob(stack.s3, stack.bucket, jobId, OWNER);
    const uploads: number[] = [];
    const events: ShipperEvent[] = [];
    const shipper = await Shipper.open({
      jobId,
      bucket: stack.bucket,
      s3: sdkObjectClient(stack.s3),
      spoolDir: path.join(work, 'spool'),
      ...CADENCE,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'uploaded') uploads.push(Date.now());
      },
    });
    let printed = 0;
    const printFor = async (ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; printed++) {
        shipper.write('stdout', Buffer.from(`slow job line ${printed}\n`));
        await new Promise((r) => setTimeout(r, LINE_GAP_MS));
      }
    };

    // Unwatched: the fresh start's chunks, then the lines wait for the idle interval (2 min).
    await printFor(8_000);
    const unwatched = { lines: printed, chunks: uploads.length };
    expect(unwatched.chunks).toBeLessThanOrEqual(3);

    // Followed: the first tail request writes the signal; the held lines and every new one come through.
    const watchFrom = Date.now();
    const tail = follow(jobId);
    await printFor(8_000);
    const lastBeforeExit = printed - 1;
    await eventually(
      async () => tail.seen.some((l) => l.line === lastBeforeExit),
      (seen) => seen,
      `line ${lastBeforeExit} in the tail while the job still runs`,
      15_000,
    );
    const watchedChunks = uploads.filter((t) => t >= watchFrom).length;
    const signal = parseWatchSignal((await readObject(stack.s3, stack.bucket, watchKey(jobId))).toString('utf8'), Date.now());
    expect(signal).toBeGreaterThan(Date.now());
    expect(events).toContainEqual({ type: 'cadence', intervalMs: 1_000, reason: 'watched' });

    await shipper.close({ exitCode: 0 });
    await tail.finish();
    const tailLines = tail.seen.map((l) => l.line);
    expect(tailLines).toEqual(Array.from({ length: printed }, (_, i) => i));

    const chunks = await shippedChunks(jobId);
    expect(chunks.flatMap((c) => c.lines)).toEqual(Array.from({ length: printed }, (_, i) => `slow job line ${i}`));
    const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks, views: [downloadLinesView(stack, jobId, 90_000)] });
    rows.push({
      name: 'watched: slow job, unwatched then followed',
      input: `one line / ${LINE_GAP_MS} ms; 8 s unwatched, then 8 s followed by after=<next>&wait=5, then exit`,
      expected:
        'few chunks unwatched; the last line printed reaches the tail before the job exits; printed == Elasticsearch (exactly once) == download file == tail',
      observed: `unwatched: ${unwatched.lines} lines in ${unwatched.chunks} chunk(s); watched: ${watchedChunks} chunk(s) in 8 s; tail: ${tailLines.length} lines, each once, in order; ${describeVerdict(verdict)}`,
      pass: verdict.problems.length === 0,
    });
    expect(verdict.problems).toEqual([]);
  });
});
