/**
 * The attacks of the access review, each against the local stack and each recorded in
 * docs/robustness.md with what happened (docs/security.md says what should):
 * a second producer and a launcher trying to take over another user's job; gzip bombs against the
 * indexer and the assembler beside good work; another local user against the spool; frames
 * forging lines in the download file; a malformed secret. IAM itself (what a job's credentials
 * may write) is proven in test/infra/producer-policy.test.ts: moto does not enforce it.
 */
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../cli/build.js';
import { authorizeJob } from '../../functions/http/authorize.js';
import { createIndexerHandler } from '../../functions/indexer/create-handler.js';
import type { VerifyToken } from '../../shared/adapters/auth/jwt-verifier.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import { loadIndexerConfig } from '../../shared/config/indexer-config.js';
import { chunkKey, jobMarkerKey, registrationKey, type JobMarker } from '../../shared/core/contract/index.js';
import { DownloadTextWriter } from '../../shared/core/download/index.js';
import { JobAlreadyRegisteredError, registerJob } from '../../shared/launcher/index.js';
import {
  deadLetterReports,
  discardSink,
  eventually,
  jobDocuments,
  jsonLogSink,
  lambdaContext,
  readDownloadLines,
  readObject,
  registerTestJob,
  shipperArgs,
  writeSuiteResults,
  type SuiteRow,
} from '../../testkit/index.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const NOBODY = 65534;
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

let stack: LocalStack;
let work: string;
let bin: string;
let pipeline: LocalPipeline | undefined;
const rows: SuiteRow[] = [];

beforeAll(async () => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-attacks-'));
  bin = await buildCli(path.join(work, 'joblogs.mjs'));
}, 120_000);
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});
afterAll(async () => {
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'attacks',
      title: 'Attacks on the access model (local stack)',
      notes: [
        'What a malicious producer, launcher or local user tries, and what happened (docs/security.md). IAM confinement of producers is evaluated in the access-policy rows.',
      ],
      rows,
    });
  }
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function record(name: string, input: string, expected: string, observed: string, pass: boolean): void {
  rows.push({ name, input, expected, observed, pass });
  expect(pass, `${name}: ${observed}`).toBe(true);
}

const newId = (what: string) => `atk-${what}-${randomUUID().slice(0, 8)}`;

/** `joblogs run` as job `jobId`; resolves with its exit code and stderr. */
function joblogsRun(
  jobId: string,
  args: string[],
  script: string,
  o: { uid?: number; spoolDir?: string; endpoint?: string } = {},
): Promise<{ code: number | null; stderr: string }> {
  const spool = o.spoolDir ?? mkdtempSync(path.join(tmpdir(), 'joblogs-attack-spool-'));
  const child = spawn(
    process.execPath,
    [bin, ...shipperArgs('run', { jobId, bucket: stack.bucket, spoolDir: spool }, ['--flush-interval', '100', ...args]), '--', process.execPath, '-e', script],
    {
      env: { ...process.env, ...awsLocalEnv(stack.info), ...(o.endpoint ? { AWS_ENDPOINT_URL: o.endpoint } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}),
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

/** A framed-v1 chunk of `texts`, numbered from `firstLine`. */
const framedChunk = (texts: string[], firstLine = 0) =>
  gzipSync(texts.map((text, i) => `${JSON.stringify({ t: new Date(T0 + firstLine + i).toISOString(), s: 'stdout', n: firstLine + i, m: text })}\n`).join(''));

async function finalMarker(jobId: string, lastSeq: number, lineCount: number): Promise<void> {
  const marker: JobMarker = {
    version: 1,
    jobId,
    source: 'main',
    status: 'final',
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date().toISOString(),
    lastSeq,
    lineCount,
    exitCode: 0,
  };
  await stack.s3.send(
    new PutObjectCommand({ Bucket: stack.bucket, Key: jobMarkerKey(jobId, 'main', 'final'), Body: JSON.stringify(marker), IfNoneMatch: '*' }),
  );
}

const asCaller =
  (sub: string, teams: string[] = []): VerifyToken =>
  async () => ({ sub, teams });
const decisionFor = async (jobId: string, sub: string, teams: string[] = []) => {
  try {
    const access = await authorizeJob(
      { jobId, token: 't' },
      {
        verifyToken: asCaller(sub, teams),
        jobs: s3JobStore(stack.s3, { bucket: stack.bucket }),
        teamsClaim: 'teams',
        logger: createLogger('attacks', discardSink()),
      },
    );
    return access.found ? `${access.via}` : 'not found';
  } catch (error) {
    return (error as { statusCode?: number }).statusCode === 403 ? 'forbidden' : String(error);
  }
};

describe('taking over a job', () => {
  it("a second registration of the job for mallory is refused and the registration stays alice's", async () => {
    const victim = await registerTestJob(stack.s3, stack.bucket, newId('reg'));
    const error = await registerJob({ s3: sdkObjectClient(stack.s3), bucket: stack.bucket, jobId: victim, owner: 'mallory', team: 'evil' }).catch(
      (e: unknown) => e,
    );
    const kept = JSON.parse((await readObject(stack.s3, stack.bucket, registrationKey(victim))).toString('utf8')) as { owner: string };
    record(
      'takeover-register-again',
      `launcher call registering alice's job ${victim} for mallory`,
      'refused; registration unchanged',
      `${(error as Error).name}; owner ${kept.owner}`,
      error instanceof JobAlreadyRegisteredError && kept.owner === 'alice',
    );
  });

  it('a second producer writing the same job, source and chunk keys is refused by S3 and changes nothing', async () => {
    pipeline = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const victim = await registerTestJob(stack.s3, stack.bucket, newId('producer'));
    const honest = await joblogsRun(victim, [], `for (let i = 0; i < 50; i++) console.log('alice line ' + i)`);
    expect(honest.code).toBe(0);
    const before = await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, victim),
      (l) => l !== undefined && l.length === 50,
      "alice's download file",
      60_000,
    );
    const second = await joblogsRun(victim, [], `console.log('mallory was here')`);
    const chunk0 = (await readObject(stack.s3, stack.bucket, chunkKey({ jobId: victim, source: 'main', seq: 0 }))).length;
    const after = await readDownloadLines(stack.s3, stack.bucket, victim);
    const held = !after!.some((l) => l.includes('mallory')) && after!.length === before!.length && chunk0 > 0;
    record(
      'takeover-second-producer',
      `a second \`joblogs run\` of job ${victim}, source main, after alice's run`,
      "its writes refused (412), reported as a conflict; alice's chunks, markers and file unchanged",
      `exit ${second.code}; ${/conflict/.test(second.stderr) ? 'conflict reported' : 'no conflict reported'}; download ${after!.length} lines, mallory's line ${after!.some((l) => l.includes('mallory')) ? 'present' : 'absent'}`,
      held && /conflict/.test(second.stderr),
    );
  }, 120_000);

  it('a marker overwritten behind the write-once rule (claiming the job for mallory) grants her nothing, and the old version remains as evidence', async () => {
    pipeline = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const victim = await registerTestJob(stack.s3, stack.bucket, newId('overwrite'));
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: chunkKey({ jobId: victim, source: 'main', seq: 0 }),
        Body: framedChunk(['one', 'two']),
        Metadata: { format: 'framed-v1' },
      }),
    );
    await finalMarker(victim, 0, 2);
    await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, victim),
      (l) => l?.length === 2,
      'the first download file',
      60_000,
    );
    // As an administrator (or a future bug) could: no If-None-Match, owner and team claimed in the body and the chunk.
    const forged = {
      version: 1,
      jobId: victim,
      source: 'main',
      status: 'final',
      owner: 'mallory',
      team: 'evil',
      startedAt: new Date(T0).toISOString(),
      endedAt: new Date().toISOString(),
      lastSeq: 0,
      lineCount: 2,
      exitCode: 0,
    };
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: jobMarkerKey(victim, 'main', 'final'), Body: JSON.stringify(forged) }));
    const download = await eventually(
      () =>
        readObject(stack.s3, stack.bucket, `downloads/${victim}.log.gz`).then(() =>
          stack.s3.send(new ListObjectVersionsCommand({ Bucket: stack.bucket, Prefix: jobMarkerKey(victim, 'main', 'final') })),
        ),
      (v) => (v.Versions?.length ?? 0) >= 2,
      'two versions of the marker',
      30_000,
    );
    const mallory = await decisionFor(victim, 'mallory', ['evil']);
    const alice = await decisionFor(victim, 'alice');
    record(
      'takeover-overwritten-marker',
      `final marker of ${victim} overwritten with owner=mallory, team=evil`,
      'mallory forbidden, alice allowed (registration decides); the old marker kept as a noncurrent version',
      `mallory: ${mallory}; alice: ${alice}; marker versions: ${download.Versions?.length}`,
      mallory === 'forbidden' && alice === 'owner' && (download.Versions?.length ?? 0) >= 2,
    );
  }, 120_000);

  it("a job nobody registered is nobody's, whatever its producers claim", async () => {
    const orphan = newId('orphan');
    const forged = { version: 1, jobId: orphan, source: 'main', status: 'running', owner: 'mallory', startedAt: new Date(T0).toISOString() };
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: jobMarkerKey(orphan, 'main', 'running'), Body: JSON.stringify(forged) }));
    const mallory = await decisionFor(orphan, 'mallory');
    record(
      'takeover-unregistered',
      `markers of an unregistered job ${orphan} naming mallory`,
      'not found for everyone',
      `mallory: ${mallory}`,
      mallory === 'not found',
    );
  });
});

describe('gzip bombs', () => {
  it('the indexer indexes the good chunk beside a bomb, the bomb only up to the bound, and dead-letters it with its reason', async () => {
    // The bound lowered to 64 KiB so that what the bomb may index stays a small test.
    pipeline = await startLocalPipeline({ stack, indexer: quickIndexer({ env: { CHUNK_MAX_BYTES: String(64 * 1024) } }), purge: true });
    const jobId = await registerTestJob(stack.s3, stack.bucket, newId('bomb-idx'));
    const bomb = gzipSync(Buffer.alloc(128 * 1024 * 1024, 'ab\n'));
    const bombKey = chunkKey({ jobId, source: 'main', seq: 0 });
    const goodKey = chunkKey({ jobId, source: 'rank-1', seq: 0 });
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: bombKey, Body: bomb }));
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: goodKey, Body: gzipSync('good one\ngood two\n') }));
    const report = await eventually(
      async () => (await deadLetterReports(stack)).find((r) => r.report['key'] === bombKey),
      (r) => r !== undefined,
      "the bomb's dead-letter report",
      90_000,
    );
    const docs = await eventually(
      () => jobDocuments(stack, DATA_STREAM, jobId),
      (d) => d.filter((x) => x._source['joblogs']?.source === 'rank-1').length === 2,
      "the good chunk's lines",
      60_000,
    );
    const bombDocs = docs.filter((d) => d._source['joblogs']?.source === 'main').length;
    const bound = Math.floor((64 * 1024) / 3);
    record(
      'gzip-bomb-indexer',
      `${(bomb.length / 1024).toFixed(0)} KiB of gzip inflating to 128 MiB of "ab" lines (bound 64 KiB), in one message with a good chunk`,
      'good chunk indexed; bomb indexed up to the bound, then dead-lettered CHUNK_TOO_LARGE',
      `good: 2 of 2 indexed; bomb: ${bombDocs} documents (bound ${bound}); report ${report!.report['code']}`,
      report!.report['code'] === 'CHUNK_TOO_LARGE' && bombDocs === bound,
    );
  }, 180_000);

  it('the assembler builds the file of a job beside a bomb, marks the bomb, and stays within its memory budget', async () => {
    pipeline = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const bombed = await registerTestJob(stack.s3, stack.bucket, newId('bomb-asm'));
    const good = await registerTestJob(stack.s3, stack.bucket, newId('good-asm'));
    const frames = (n: number) =>
      Array.from({ length: n }, (_, i) => `${JSON.stringify({ t: new Date(T0 + i).toISOString(), s: 'stdout', n: i, m: 'x' })}\n`).join('');
    const bomb = gzipSync(frames(1) + ' '.repeat(256 * 1024 * 1024));
    await stack.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: chunkKey({ jobId: bombed, source: 'main', seq: 0 }), Body: bomb, Metadata: { format: 'framed-v1' } }),
    );
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: chunkKey({ jobId: good, source: 'main', seq: 0 }),
        Body: framedChunk(['fine']),
        Metadata: { format: 'framed-v1' },
      }),
    );
    const rssBefore = process.memoryUsage().rss;
    await finalMarker(bombed, 0, 1);
    await finalMarker(good, 0, 1);
    const goodLines = await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, good),
      (l) => l?.length === 1,
      "the good job's file",
      90_000,
    );
    const bombLines = await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, bombed),
      (l) => l !== undefined,
      "the bombed job's file",
      90_000,
    );
    const grewMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    const marked = bombLines!.some((l) => l.includes('[gap]') && l.includes('larger than the contract allows'));
    record(
      'gzip-bomb-assembler',
      `a chunk inflating to 256 MiB (${(bomb.length / 1024).toFixed(0)} KiB of gzip) in one job, a good job in the same batch`,
      'good job assembled; the bomb read up to the bound and marked; memory bounded',
      `good: ${goodLines!.length} line; bombed: ${bombLines!.length} lines, ${marked ? 'marked' : 'not marked'}; RSS grew ${grewMiB.toFixed(0)} MiB`,
      goodLines![0] === 'fine' && marked,
    );
  }, 180_000);
});

describe('another local user against the spool', () => {
  const asRoot = process.getuid?.() === 0;

  it.runIf(asRoot)('refuses a spool directory another user created first, naming it, and starts nothing', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'joblogs-shared-'));
    const jobId = newId('spool');
    mkdirSync(path.join(root, jobId), { mode: 0o777 });
    chownSync(path.join(root, jobId), NOBODY, NOBODY);
    const run = await joblogsRun(jobId, [], `console.log('never runs')`, { spoolDir: root });
    record(
      'spool-precreated-by-other-user',
      `${path.join(root, jobId)} created by uid ${NOBODY} before the job starts`,
      'exit 2, error naming the path, job not started',
      `exit ${run.code}; ${run.stderr.trim().split('\n')[0]}`,
      run.code === 2 && run.stderr.includes(path.join(root, jobId)) && run.stderr.includes('another user'),
    );
  });

  it.runIf(asRoot)(
    'keeps spooled output private and never uploads a chunk it did not write',
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'joblogs-private-'));
      const jobId = await registerTestJob(stack.s3, stack.bucket, newId('planted'));
      // S3 unreachable: the chunk stays spooled, so there is something to read and to plant beside.
      const down = await joblogsRun(jobId, ['--close-timeout', '200'], `console.log('secret training output')`, {
        spoolDir: root,
        endpoint: 'http://127.0.0.1:9',
      });
      expect(down.code).toBe(0);
      const dir = path.join(root, jobId, 'main');
      const spooled = readdirSync(dir).filter((f) => f.endsWith('.chunk'));
      const modes = [dir, ...spooled.map((f) => path.join(dir, f))].map((p) => (statSync(p).mode & 0o777).toString(8));
      const peek = spawnSync('cat', [path.join(dir, spooled[0] ?? 'none')], { uid: NOBODY, gid: NOBODY });
      writeFileSync(
        path.join(dir, '0000000099.chunk'),
        `${JSON.stringify({ seq: 99, lines: 1, nextLine: 100, metadata: {}, mac: 'ab'.repeat(32) })}\n${gzipSync('planted by someone else\n').toString('binary')}`,
      );
      const again = await joblogsRun(jobId, [], `console.log('next run')`, { spoolDir: root });
      const planted = await readObject(stack.s3, stack.bucket, chunkKey({ jobId, source: 'main', seq: 99 })).then(
        () => true,
        () => false,
      );
      record(
        'spool-private-and-authenticated',
        `spooled chunks read by uid ${NOBODY}; a chunk with a forged MAC planted in the spool`,
        'directory 0700, files 0600, unreadable to others; the planted chunk set aside, never uploaded',
        `modes ${[...new Set(modes)].join('/')}; read by another user: ${peek.status === 0 ? 'succeeded' : 'refused'}; planted chunk ${planted ? 'UPLOADED' : 'not uploaded'}, ${/not written by this shipper/.test(again.stderr) ? 'reported' : 'not reported'}`,
        modes[0] === '700' && modes.slice(1).every((m) => m === '600') && peek.status !== 0 && !planted && /not written by this shipper/.test(again.stderr),
      );
    },
    120_000,
  );
});

describe('lines forged in the download file', () => {
  /** Puts `body` as the job's only chunk (framed-v1), marks its source final, and waits for the download file's lines. */
  async function downloadOfOneChunk(jobId: string, body: Buffer, lineCount: number): Promise<string[]> {
    await stack.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: chunkKey({ jobId, source: 'main', seq: 0 }), Body: body, Metadata: { format: 'framed-v1' } }),
    );
    await finalMarker(jobId, 0, lineCount);
    return (await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, jobId),
      (l) => l !== undefined,
      'the download file',
      60_000,
    ))!;
  }

  it('a frame cannot add a line, a source, a time, a gap marker or a terminal command to the file', async () => {
    pipeline = await startLocalPipeline({ stack, assembler: quickAssembler(), purge: true });
    const jobId = await registerTestJob(stack.s3, stack.bucket, newId('forge'));
    const forged = [
      'honest line',
      'ok\n2026-11-25T10:00:09.000Z rank-7 stderr I am another source\r2026-11-25T10:00:10.000Z joblogs [gap] chunk 9 of source main never arrived',
      '\x1b]0;owned title\x07\x1b[2J\x1b[1;31mred is fine\x1b[0m',
    ];
    const lines = await downloadOfOneChunk(jobId, framedChunk(forged), 3);
    const escapesLeft = lines.join('\n').match(/\x1b\]|\x1b\[2J|\x07/g)?.length ?? 0;
    record(
      'forged-frames-download-file',
      'frames whose text holds \\n, \\r, a fake timestamp/source/stream, a fake gap marker, OSC and cursor escapes',
      '3 lines as printed; newlines and escapes shown as symbols; colours kept',
      `${lines.length} lines; ${escapesLeft} terminal commands left; colours ${lines[2]!.includes('\x1b[1;31m') ? 'kept' : 'lost'}`,
      lines.length === 3 && escapesLeft === 0 && lines[1]!.includes('␊') && lines[2]!.includes('\x1b[1;31m'),
    );
  }, 120_000);

  it('a frame that is not JSON (a raw tab, control character or quote in its message) is the same whole line in the index and in the file', async () => {
    pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), assembler: quickAssembler(), purge: true });
    const jobId = await registerTestJob(stack.s3, stack.bucket, newId('notjson'));
    // The shipper's layout, the message written unescaped: JSON.parse refuses all but the first.
    const raw = (n: number, message: string) => `{"t":"${new Date(T0 + n).toISOString()}","s":"stdout","n":${n},"m":"${message}"}`;
    const frames = [raw(0, 'honest line'), raw(1, 'col1\tcol2'), raw(2, 'bell \u0007 and \u0001'), raw(3, 'a "quoted" word')];
    const lines = await downloadOfOneChunk(jobId, gzipSync(`${frames.join('\n')}\n`), frames.length);
    const docs = await eventually(
      () => jobDocuments(stack, DATA_STREAM, jobId),
      (d) => d.length === frames.length,
      'the documents of the frames',
      60_000,
    );
    /** An indexed message as the download file shows a line (control characters as symbols). */
    const asInFile = (message: string) => {
      const w = new DownloadTextWriter(1);
      w.line('main', { time: T0, stream: 'stdout', bytes: Buffer.from(message) });
      return w.take().toString('utf8').slice('2026-11-25T10:00:00.000Z stdout '.length, -1);
    };
    const indexed = docs.map((d) => String(d._source['message']));
    const badFrames = docs.filter((d) => (d._source['tags'] as string[] | undefined)?.includes('bad_frame')).length;
    record(
      'not-json-frames-index-and-file',
      'one frame, then three in the same layout whose message holds a raw tab, raw control characters, raw quotes',
      'the message of the first, each other frame whole (tagged bad_frame), line for line the same in the index and the file',
      `${lines.length} lines in the file, ${docs.length} documents (${badFrames} bad_frame); ${lines.filter((l, i) => l === asInFile(indexed[i] ?? '')).length} lines the same`,
      badFrames === 3 && indexed[0] === 'honest line' && indexed[1] === frames[1] && lines.length === 4 && lines.every((l, i) => l === asInFile(indexed[i]!)),
    );
  }, 120_000);
});

describe('secrets in logs', () => {
  it('a malformed Elasticsearch secret fails the invocation without a fragment of it in any log line or error', async () => {
    const password = `Zq9-${randomUUID()}`;
    const secret = `{"username":"joblogs_writer","password":"${password}`;
    const name = `/joblogs/local/attack-${randomUUID().slice(0, 8)}`;
    await stack.ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: secret }));
    const env = { ...stack.info.resources.function.environment, ...awsLocalEnv(stack.info), ES_NODE: stack.info.elasticsearch.url, ES_CREDENTIALS_PARAM: name };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const { sink, logs } = jsonLogSink();
    let thrown: unknown;
    try {
      const handler = createIndexerHandler(loadIndexerConfig(env), { logger: createLogger('joblogs-indexer', sink) });
      await handler({ Records: [] }, lambdaContext()).catch((error: unknown) => (thrown = error));
    } finally {
      process.env = saved;
    }
    const told = `${JSON.stringify(logs)} ${String((thrown as Error)?.message)} ${String((thrown as Error)?.stack)}`;
    const leaked = Array.from({ length: password.length - 5 }, (_, i) => password.slice(i, i + 6)).filter((piece) => told.includes(piece));
    record(
      'malformed-secret',
      'an SSM SecureString holding truncated JSON with a password',
      'the invocation fails; no 6-character piece of the password in logs or errors',
      `${thrown ? 'failed' : 'did not fail'}; ${leaked.length} piece(s) of the secret seen`,
      thrown !== undefined && leaked.length === 0,
    );
  });
});
