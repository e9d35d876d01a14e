/**
 * `joblogs admin` against the local stack (moto S3/SQS + real Elasticsearch), each command through
 * its real entry (`adminMain`: flags, configuration, the stage found by names, the real adapters),
 * with the real indexer and assembler on the stack's queues where a command needs them:
 * status (a healthy job, a job with a gap and a dead letter, an unknown job), redrive (a DLQ moved
 * back and what came through; dead-letter reports announced again after a fix), backfill (nothing
 * twice in the same stage, a rebuilt stage, another stage, resumed, a chunk in an older backing
 * index left alone) and purge (dry run, the real thing, the signer and the logs API answering 404,
 * the audit record).
 */
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminMain } from '../../cli/admin/main.js';
import { createLogsApiHandler } from '../../functions/logs-api/create-handler.js';
import { createSignerHandler } from '../../functions/signer/create-handler.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadLogsApiConfig } from '../../shared/config/logs-api-config.js';
import { loadSignerConfig } from '../../shared/config/signer-config.js';
import { chunkKey, encodeFrame, registrationKey } from '../../shared/core/contract/index.js';
import { checkpointKey, documentIdPrefix } from '../../shared/core/ingest/index.js';
import type { BackfillState } from '../../shared/core/ops/index.js';
import { Shipper } from '../../shared/shipper/index.js';
import {
  countJobDocuments,
  discardSink,
  esRequest,
  eventually,
  jobDocuments,
  listKeys,
  readDownloadLines,
  readObject,
  putJobMarker,
  registerTestJob,
} from '../../testkit/index.js';
import { lambdaContext } from '../../testkit/lambda.js';
import { quickAssembler, quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, purgeQueues, type LocalStack } from '../../testkit/stack/index.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const RECORDS = 'joblogs-chunks-local';
const RUN = randomUUID().slice(0, 6);
/** A stage of this file's own, for backfills into "another cluster" (same Elasticsearch, other data streams). */
const OTHER_STAGE = 'adminbf';

let stack: LocalStack;
let work: string;
let pipeline: LocalPipeline | undefined;
const savedEnv = { ...process.env };

interface AdminRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** `joblogs admin <args> --stage local …` in this process, as an operator runs it against the local stack. */
async function admin(...args: string[]): Promise<AdminRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stderrIsTty: false };
  const code = await adminMain(
    ['node', 'joblogs admin', ...args, '--stage', 'local', '--es-url', stack.info.elasticsearch.url, '--force-path-style', '--no-progress'],
    io,
  );
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

async function startPipeline(): Promise<void> {
  pipeline = await startLocalPipeline({
    stack,
    indexer: quickIndexer(),
    assembler: quickAssembler({ env: { GAP_WAIT_SECONDS: '1' } }),
    logStream: discardSink(),
  });
}

async function stopPipeline(): Promise<void> {
  await pipeline?.stop();
  pipeline = undefined;
}

/** A registered job shipped by the real shipper library: `lines` lines in chunks of ~1 KiB, then its final marker. */
async function shipJob(name: string, lines: number): Promise<string> {
  const jobId = await registerTestJob(stack.s3, stack.bucket, `adm-${RUN}-${name}`);
  const shipper = await Shipper.open({
    jobId,
    bucket: stack.bucket,
    spoolDir: path.join(work, jobId),
    s3: sdkObjectClient(stack.s3),
    maxChunkBytes: 1024,
    flushIntervalMs: 50,
  });
  for (let i = 0; i < lines; i++) shipper.write('stdout', Buffer.from(`${name} line ${i} ${'x'.repeat(40)}\n`));
  await shipper.close({ exitCode: 0 });
  return jobId;
}

/** Uploads one framed chunk (seq `seq`, lines numbered from `firstLine`). */
async function putChunk(jobId: string, seq: number, texts: string[], firstLine: number, body?: Buffer): Promise<string> {
  const key = chunkKey({ jobId, source: 'main', seq });
  const frames = texts
    .map(
      (text, i) =>
        `${encodeFrame({ time: Date.parse('2026-11-25T10:00:00Z') + firstLine + i, stream: 'stdout', line: firstLine + i, bytes: Buffer.from(text), terminator: '\n' })}\n`,
    )
    .join('');
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body ?? gzipSync(frames), Metadata: { format: 'framed-v1' } }));
  return key;
}

async function putFinalMarker(jobId: string, lastSeq: number, lineCount: number): Promise<void> {
  const endedAt = new Date(Date.now() - 60_000).toISOString();
  await putJobMarker(stack.s3, stack.bucket, { jobId, status: 'final', startedAt: '2026-11-25T10:00:00.000Z', endedAt, lastSeq, lineCount, droppedLines: 0 });
}

const indexed = async (jobId: string, stage = 'local') => countJobDocuments(stack, `logs-mlplatform.job-${stage}`, jobId);
/**
 * Until the indexer has taken every notification, and what it wrote is searchable (a refresh
 * interval passes in production; here the streams are refreshed): nothing arrives behind a
 * command's back.
 */
async function chunkQueueDrained(): Promise<void> {
  // Nothing waiting, and the indexer between batches (messages other test files left in flight are not ours to wait for).
  const settled = () => {
    const s = pipeline?.indexer?.stats;
    return !s || s.received === s.deleted + s.failed;
  };
  const quiet = async () => (await waiting()) === 0 && settled();
  // Twice, a batching window apart: a batch being collected is received but not yet counted.
  await eventually(
    async () => (await quiet()) && (await new Promise((r) => setTimeout(r, 1500))) === undefined && (await quiet()),
    (done) => done,
    'the chunk queue to drain',
  );
  await esRequest(stack, 'POST', `/${DATA_STREAM},${RECORDS}/_refresh`);
}

async function waiting(): Promise<number> {
  const a =
    (
      await stack.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: stack.chunkQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'] }),
      )
    ).Attributes ?? {};
  return Number(a['ApproximateNumberOfMessages'] ?? 0) + Number(a['ApproximateNumberOfMessagesDelayed'] ?? 0);
}

beforeAll(async () => {
  stack = loadStack();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-admin-it-'));
  // What an operator's shell has: AWS settings for the stage (moto here) and Elasticsearch credentials.
  Object.assign(process.env, awsLocalEnv(stack.info), {
    JOBLOGS_ES_USERNAME: stack.info.elasticsearch.username,
    JOBLOGS_ES_PASSWORD: stack.info.elasticsearch.password,
  });
  await purgeQueues(stack);
  await startPipeline();
});

afterAll(async () => {
  await stopPipeline();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('joblogs admin status', () => {
  it('answers "where are my logs?" for a healthy job: shipped = indexed = in the download file, exit 0', async () => {
    const jobId = await shipJob('healthy', 300);
    await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, jobId),
      (l) => l?.length === 300,
      'the download file',
    );
    await chunkQueueDrained();
    const run = await admin('status', '--job', jobId, '--json');
    expect(run.json.problems).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      jobId,
      found: true,
      status: 'complete',
      registration: { owner: 'alice' },
      totals: { linesShipped: 300, linesIndexed: 300, documents: 300, linesInDownload: 300 },
      problems: [],
    });
    expect(run.json.sources[0]).toMatchObject({ source: 'main', status: 'final', chunks: { missing: [], notIndexed: [] } });
    expect(run.json.sources[0].chunks.inS3).toBeGreaterThan(5);
    const text = await admin('status', '--job', jobId);
    expect(text.stdout).toContain('everything is where it belongs');
    // No stack `joblogs-local` in moto: the stage is found by the template's names, and says so.
    expect(text.stderr).toContain('found by names');
  });

  it('names a missing chunk, a chunk that is not gzip and its dead-letter report, the gap in the download file — exit 3', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `adm-${RUN}-gap`);
    await putChunk(jobId, 0, ['zero', 'one'], 0);
    await putChunk(jobId, 2, [], 0, Buffer.from('this is not gzip'));
    await putFinalMarker(jobId, 3, 6);
    await putChunk(jobId, 3, ['five'], 5);
    await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, jobId),
      (l) => l !== undefined,
      'the download file with its gaps',
    );
    await eventually(
      () => listKeys(stack.s3, stack.bucket, `dead-letter/indexer/job/${jobId}/`),
      (k) => k.length === 1,
      'the dead-letter report',
    );
    await chunkQueueDrained();
    const run = await admin('status', '--job', jobId, '--json');
    expect(run.code).toBe(3);
    const problems = run.json.problems.join('\n');
    expect(problems).toContain('chunk(s) 1 not in S3');
    expect(problems).toContain('chunk(s) 2 indexed only up to a permanent failure');
    expect(problems).toMatch(/gap marker/);
    expect(run.json.deadLetters).toEqual([
      expect.objectContaining({ function: 'indexer', code: 'NOT_GZIP', chunk: chunkKey({ jobId, source: 'main', seq: 2 }) }),
    ]);
  });

  it('exits 4 for a job nobody has heard of', async () => {
    const run = await admin('status', '--job', `adm-${RUN}-nobody`);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('No job');
  });
});

describe('joblogs admin redrive', () => {
  it('moves the chunk DLQ back (receive/send/delete on moto, which lacks StartMessageMoveTask) and reports what came through and what came back', async () => {
    await stopPipeline();
    const jobId = await registerTestJob(stack.s3, stack.bucket, `adm-${RUN}-redrive`);
    for (let seq = 0; seq < 3; seq++) await putChunk(jobId, seq, [`line ${seq}`], seq);
    // What 5 failed receives leave behind: the notifications in the DLQ (and a message nobody can read).
    const moved = await moveQueue(stack.chunkQueueUrl, stack.deadLetterQueueUrl, 3);
    expect(moved).toBe(3);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MessageBody: 'not an S3 notification' }));

    // status finds the job's messages in the DLQ (and leaves them there).
    const status = await admin('status', '--job', jobId, '--json');
    expect(status.json.dlq).toEqual([
      { queue: 'chunks', messages: 3, scanned: 4, depth: 4 },
      { queue: 'assemble', messages: 0, scanned: 0, depth: 0 },
    ]);
    expect(status.json.problems).toContain('3 message(s) of this job in the chunks DLQ');
    const dry = await admin('redrive', '--queue', 'chunks', '--dry-run', '--json');
    expect(dry.json).toEqual([expect.objectContaining({ queue: 'chunks', before: 4, moved: 0, method: 'none' })]);
    await startPipeline();
    const run = await admin('redrive', '--queue', 'chunks', '--rate', '50', '--wait', '60', '--json');
    expect(run.json).toEqual([
      expect.objectContaining({
        queue: 'chunks',
        before: 4,
        method: 'copy',
        moved: 4,
        note: expect.stringContaining('StartMessageMoveTask is not available'),
        after: { drained: true, backInDlq: 0, newReports: 1, cameThrough: 3 },
      }),
    ]);
    expect(run.code).toBe(3);
    expect(await indexed(jobId)).toBe(3);
  });

  it('announces the chunk of a dead-letter report again once the cause is fixed, and files the report under dead-letter/redriven/', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `adm-${RUN}-reports`);
    const key = await putChunk(jobId, 0, [], 0, Buffer.from('corrupt upload'));
    const reportKey = await eventually(
      async () => (await listKeys(stack.s3, stack.bucket, `dead-letter/indexer/job/${jobId}/`))[0],
      (k) => k !== undefined,
      'the dead-letter report',
    );
    // The fix: the producer's repaired chunk is put in place while the indexer is away.
    await stopPipeline();
    await putChunk(jobId, 0, ['repaired 0', 'repaired 1'], 0);
    await purgeQueues(stack);

    const run = await admin('redrive', '--reports', '--job', jobId, '--json');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ reports: 1, chunks: [key], jobs: [], skipped: [], archived: 1 });
    expect(await listKeys(stack.s3, stack.bucket, `dead-letter/indexer/job/${jobId}/`)).toEqual([]);
    expect(await listKeys(stack.s3, stack.bucket, `dead-letter/redriven/indexer/job/${jobId}/`)).toEqual([
      reportKey!.replace('dead-letter/', 'dead-letter/redriven/'),
    ]);
    await startPipeline();
    await eventually(
      () => indexed(jobId),
      (n) => n === 2,
      'the repaired chunk to be indexed',
    );
  });
});

describe('joblogs admin backfill', () => {
  let jobId: string;
  let documents: number;

  beforeAll(async () => {
    jobId = await shipJob('backfill', 250);
    documents = await eventually(
      () => indexed(jobId),
      (n) => n === 250,
      'the job to be indexed',
    );
    // Each chunk's record is written once its lines are confirmed: wait for the last of them too.
    await chunkQueueDrained();
  });

  it('finds nothing to do in the stage that indexed the job: every chunk already recorded, nothing created', async () => {
    const run = await admin('backfill', '--job', jobId, '--state', path.join(work, 'same.json'), '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.state.counts).toMatchObject({ indexed: 0, duplicates: 0, unsafe: 0, failed: 0 });
    expect(run.json.state.counts.alreadyIndexed).toBe(run.json.state.counts.chunks);
    expect(await indexed(jobId)).toBe(documents);
  });

  it("rebuilds a stage's documents after they were lost, exactly once, and a second run adds nothing", async () => {
    await deleteDocuments(`${DATA_STREAM},${RECORDS}`, { term: { 'labels.job_id': jobId } });
    expect(await esRequest(stack, 'POST', `/${RECORDS}/_count`, { query: { term: { 'labels.job_id': jobId } } })).toMatchObject({ count: 0 });
    expect(await indexed(jobId)).toBe(0);
    const run = await admin('backfill', '--job', jobId, '--state', path.join(work, 'rebuild.json'), '--json');
    expect(run.code).toBe(0);
    expect(run.json.state.counts).toMatchObject({ indexed: documents, duplicates: 0, alreadyIndexed: 0 });
    expect(run.json.throughput.linesPerS).toBeGreaterThan(0);
    expect(await indexed(jobId)).toBe(documents);
    const docs = await jobDocuments(stack, DATA_STREAM, jobId);
    expect(new Set(docs.map((d) => d._id)).size).toBe(documents);

    const again = await admin('backfill', '--job', jobId, '--state', path.join(work, 'rebuild-2.json'), '--json');
    expect(again.json.state.counts).toMatchObject({ indexed: 0 });
    expect(await indexed(jobId)).toBe(documents);
  });

  it("copies the job into another stage's data streams (templates installed on the way), resumable, and never twice", async () => {
    const state = path.join(work, 'other.json');
    const installed = await esRequest(stack, 'GET', `/_index_template/joblogs-${OTHER_STAGE}-logs`).then(
      () => true,
      () => false,
    );
    if (!installed) {
      // A cluster without the stage's templates is refused unless asked to install them (the first run on this Elasticsearch).
      const refused = await admin('backfill', '--job', jobId, '--target-stage', OTHER_STAGE, '--state', state);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--install-templates');
    }
    // Resume: a state that says the first chunk is done, as an interrupted run leaves it.
    const chunks = await listKeys(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
    const interrupted: BackfillState = {
      version: 1,
      bucket: stack.bucket,
      selection: { job: jobId },
      target: { stage: OTHER_STAGE, esNode: stack.info.elasticsearch.url },
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      doneThrough: chunks[0]!,
      counts: { chunks: 1, alreadyIndexed: 0, indexed: 0, duplicates: 0, lines: 0, bytes: 0, unsafe: 0, failed: 0 },
      attention: [],
    };
    writeFileSync(state, JSON.stringify(interrupted));
    const run = await admin('backfill', '--job', jobId, '--target-stage', OTHER_STAGE, '--install-templates', '--state', state, '--json');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ resumed: true, selected: chunks.length - 1 });
    const firstChunkLines = (await jobDocuments(stack, DATA_STREAM, jobId)).filter((d) => d._id.startsWith(documentIdPrefix(stack.bucket, chunks[0]!))).length;
    expect(await indexed(jobId, OTHER_STAGE)).toBe(documents - firstChunkLines);

    const whole = await admin('backfill', '--job', jobId, '--target-stage', OTHER_STAGE, '--state', path.join(work, 'other-2.json'), '--json');
    expect(whole.code).toBe(0);
    expect(whole.json.state.counts.indexed).toBe(firstChunkLines);
    expect(await indexed(jobId, OTHER_STAGE)).toBe(documents);
  });

  it('leaves alone (and lists) a chunk whose lines sit in an older backing index: indexing it would duplicate them — exit 3', async () => {
    const stream = `logs-mlplatform.job-${OTHER_STAGE}`;
    await esRequest(stack, 'POST', `/${stream}/_rollover`);
    const chunks = await listKeys(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
    await deleteDocuments(`joblogs-chunks-${OTHER_STAGE}`, { ids: { values: [documentIdPrefix(stack.bucket, chunks[1]!)] } });
    const run = await admin('backfill', '--job', jobId, '--target-stage', OTHER_STAGE, '--state', path.join(work, 'rolled.json'), '--json');
    expect(run.code).toBe(3);
    expect(run.json.state.counts).toMatchObject({ unsafe: 1, indexed: 0 });
    expect(run.json.state.attention).toEqual([expect.objectContaining({ key: chunks[1], code: 'OLDER_BACKING_INDEX' })]);
    expect(await indexed(jobId, OTHER_STAGE)).toBe(documents);
  });
});

describe('joblogs admin purge', () => {
  it('shows what it would remove, removes every trace of the job (every version) with --yes, and the signer and the logs API answer 404', async () => {
    const jobId = await shipJob('purge', 120);
    await eventually(
      () => readDownloadLines(stack.s3, stack.bucket, jobId),
      (l) => l?.length === 120,
      'the download file',
    );
    await eventually(
      () => readObject(stack.s3, stack.bucket, `downloads/${jobId}.archive.json`).catch(() => undefined),
      (b) => b !== undefined,
      'the archive (docs/archive.md)',
    );
    // A second version of a chunk (an overwrite the write-once policy would refuse in AWS), a checkpoint and a dead-letter report.
    const chunks = await listKeys(stack.s3, stack.bucket, `chunks/v1/${jobId}/`);
    await putChunk(jobId, 999, [], 0, Buffer.from('not gzip either'));
    await eventually(
      async () => (await listKeys(stack.s3, stack.bucket, `dead-letter/indexer/job/${jobId}/`)).length,
      (n) => n === 1,
      'the dead-letter report',
    );
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: checkpointKey('checkpoints/indexer/', stack.bucket, chunks[0]!), Body: '{}' }));
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: chunks[0]!, Body: gzipSync('overwritten\n') }));
    await chunkQueueDrained();
    const signer = signerCall();
    expect((await signer(jobId)).statusCode).toBe(200);

    const dry = await admin('purge', '--job', jobId, '--json');
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ dryRun: true, plan: { objects: { registration: 1, markers: 2, checkpoints: 1, deadLetters: 1 }, documents: 120 } });
    // The download file and the archive's two objects.
    expect(dry.json.plan.objects.download).toBeGreaterThanOrEqual(3);
    expect(dry.json.plan.objects.chunks).toBe(chunks.length + 2);
    expect(await indexed(jobId)).toBe(120);

    expect((await admin('purge', '--job', jobId, '--yes')).code).toBe(2); // no --reason
    const run = await admin('purge', '--job', jobId, '--yes', '--reason', 'INC-42 leaked token', '--json');
    expect(run.code).toBe(0);
    expect(run.json.audit.record).toMatchObject({
      jobId,
      reason: 'INC-42 leaked token',
      removed: { documents: 120 },
      left: { documents: 0, chunkRecords: 0, objects: { chunks: 0, markers: 0, registration: 0, download: 0, checkpoints: 0, deadLetters: 0 } },
    });
    for (const prefix of [
      `chunks/v1/${jobId}/`,
      `jobs/v1/${jobId}/`,
      registrationKey(jobId),
      `downloads/${jobId}.log.gz`,
      `downloads/${jobId}.archive`,
      `dead-letter/indexer/job/${jobId}/`,
    ]) {
      expect(await versionsUnder(prefix), prefix).toBe(0);
    }
    expect(await indexed(jobId)).toBe(0);
    // The audit record holds keys and counts, never a line.
    const audit = (await readObject(stack.s3, stack.bucket, run.json.audit.key)).toString('utf8');
    expect(audit).not.toContain('purge line');
    expect(JSON.parse(audit).keys.chunks.length).toBe(chunks.length + 1);

    // A warm signer keeps a finished job's markers 30 s: a new container (a cold start) answers at once.
    expect((await signerCall()(jobId)).statusCode).toBe(404);
    expect((await logsApiCall()(jobId)).statusCode).toBe(404);
  });

  it('refuses to purge a job that still runs unless forced, and exits 4 for a job with nothing left', async () => {
    const jobId = await registerTestJob(stack.s3, stack.bucket, `adm-${RUN}-running`);
    const shipper = await Shipper.open({ jobId, bucket: stack.bucket, spoolDir: path.join(work, jobId), s3: sdkObjectClient(stack.s3), flushIntervalMs: 50 });
    shipper.write('stdout', Buffer.from('still going\n'));
    await eventually(
      () => listKeys(stack.s3, stack.bucket, `jobs/v1/${jobId}/`),
      (k) => k.length === 1,
      'the running marker',
    );
    const refused = await admin('purge', '--job', jobId, '--yes', '--reason', 'test');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('still runs');
    await shipper.close({ exitCode: 0 });
    await eventually(
      () => indexed(jobId),
      (n) => n === 1,
      'its line to be indexed',
    );
    await chunkQueueDrained();
    // The assembler's last write for a finished job is its archive (after the download file): purge
    // after it, or the archive lands after the purge and the second purge finds it.
    await eventually(
      () => readObject(stack.s3, stack.bucket, `downloads/${jobId}.archive.json`).catch(() => undefined),
      (b) => b !== undefined,
      'the archive (docs/archive.md)',
    );
    expect((await admin('purge', '--job', jobId, '--yes', '--reason', 'test', '--force')).code).toBe(0);
    const again = await admin('purge', '--job', jobId, '--yes', '--reason', 'again', '--json');
    expect(again.stderr).toContain('Nothing of job');
    expect(again.code).toBe(4);
  });
});

/** Messages moved by hand from one queue to another (what SQS's redrive after 5 receives does). */
async function moveQueue(from: string, to: string, count: number): Promise<number> {
  let moved = 0;
  for (let tries = 0; moved < count && tries < 30; tries++) {
    const { Messages = [] } = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of Messages) {
      await stack.sqs.send(new SendMessageCommand({ QueueUrl: to, MessageBody: m.Body! }));
      await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: m.ReceiptHandle! }));
      moved++;
    }
  }
  return moved;
}

/** Documents lost (a cluster rebuilt, a stream emptied): each deleted from its backing index. */
async function deleteDocuments(index: string, query: unknown): Promise<void> {
  await esRequest(stack, 'POST', `/${index}/_refresh`);
  const { hits } = await esRequest(stack, 'POST', `/${index}/_search`, { size: 10_000, query, _source: false });
  for (const hit of hits.hits as Array<{ _id: string; _index: string }>) await esRequest(stack, 'DELETE', `/${hit._index}/_doc/${encodeURIComponent(hit._id)}`);
  await esRequest(stack, 'POST', `/${index}/_refresh`);
}

async function versionsUnder(prefix: string): Promise<number> {
  const out = await stack.s3.send(new ListObjectVersionsCommand({ Bucket: stack.bucket, Prefix: prefix }));
  return (out.Versions?.length ?? 0) + (out.DeleteMarkers?.length ?? 0);
}

function httpEvent(rawPath: string, jobId: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET',
    rawPath,
    rawQueryString: '',
    headers: { authorization: 'Bearer a.b.c' },
    pathParameters: { jobId },
    requestContext: { http: { method: 'GET' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
  };
}

/** The signer as a new container would run it (its cache empty), alice's token accepted. */
function signerCall() {
  const env = { ...stack.info.resources.signer.environment, ...awsLocalEnv(stack.info), S3_FORCE_PATH_STYLE: 'true' };
  const handler = createSignerHandler(loadSignerConfig(env), {
    verifyToken: async () => ({ sub: 'alice', teams: ['vision'] }),
    logger: createLogger('signer-test', discardSink()),
  });
  return async (jobId: string) => (await handler(httpEvent(`/jobs/${jobId}/logs`, jobId), lambdaContext())) as APIGatewayProxyStructuredResultV2;
}

function logsApiCall() {
  const env = { ...stack.info.resources.logsApi.environment, ...awsLocalEnv(stack.info), S3_FORCE_PATH_STYLE: 'true' };
  const handler = createLogsApiHandler(loadLogsApiConfig(env), {
    verifyToken: async () => ({ sub: 'alice', teams: ['vision'] }),
    logger: createLogger('logs-api-test', discardSink()),
  });
  return async (jobId: string) => (await handler(httpEvent(`/jobs/${jobId}`, jobId), lambdaContext())) as APIGatewayProxyStructuredResultV2;
}
