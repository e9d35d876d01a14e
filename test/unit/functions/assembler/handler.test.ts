import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createAssemblerHandler } from '../../../../functions/assembler/create-handler.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../../../shared/config/assembler-config.js';
import { encodeFrame, type JobMarker } from '../../../../shared/core/contract/index.js';
import { MemoryBucket } from '../../../../testkit/fakes/memory-bucket.js';
import { MemoryQueue } from '../../../../testkit/fakes/memory-queue.js';
import { lambdaContext } from '../../../../testkit/lambda.js';
import { S3_TEST_EVENT, s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';

const BUCKET = 'joblogs-test-logs';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-test-assemble';
const config = loadAssemblerConfig({ STAGE: 'test', LOG_BUCKET: BUCKET, ASSEMBLE_QUEUE_URL: QUEUE, GAP_WAIT_SECONDS: '60' });
const T = Date.parse('2026-11-25T10:00:00.000Z');
const NOW = Date.parse('2026-11-25T10:10:00.000Z');

/** The handler over an in-memory bucket and queue, with its log lines kept. */
function assembler(o: { now?: number } = {}) {
  const bucket = new MemoryBucket();
  const queue = new MemoryQueue();
  const logs: Array<Record<string, any>> = [];
  const sink = { write: (line: string) => logs.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream;
  const handler = createAssemblerHandler(config, {
    ...bucket.assemblerAdapters(config),
    queue,
    logger: createLogger('test', sink),
    now: () => o.now ?? NOW,
  });
  return { bucket, queue, logs, handler };
}

const marker = (over: Partial<JobMarker> = {}): JobMarker => ({
  version: 1,
  jobId: 'job-1',
  source: 'main',
  status: 'final',
  lastSeq: 1,
  lineCount: 2,
  startedAt: new Date(T).toISOString(),
  endedAt: '2026-11-25T10:09:30.000Z',
  ...over,
});
const markerEvent = (jobId = 'job-1', source = 'main') => s3EventBody(BUCKET, [`jobs/v1/${jobId}/${source}/final.json`]);
const chunkBody = (line: number, text: string) =>
  gzipSync(`${encodeFrame({ time: T + line, stream: 'stdout', line, bytes: Buffer.from(text), terminator: '\n' })}\n`);

/** A job in the bucket: its marker and the given chunk seqs (chunk n holds line n). */
function givenJob(bucket: MemoryBucket, m: JobMarker, seqs: number[]): void {
  bucket.register(m.jobId, 'alice', 'vision');
  bucket.putMarker(m);
  for (const seq of seqs) {
    bucket.put(`chunks/v1/${m.jobId}/main/${String(seq).padStart(10, '0')}.log.gz`, chunkBody(seq, `line ${seq}`), { format: 'framed-v1' });
  }
}

const download = (bucket: MemoryBucket, jobId = 'job-1') => bucket.objects.get(`downloads/${jobId}.log.gz`);

describe('assembler handler', () => {
  it('assembles a finished job once per batch however many of its markers arrived, with the registered owner and team and the counts in the metadata', async () => {
    const { bucket, logs, handler } = assembler();
    givenJob(bucket, marker(), [0, 1]);
    const out = await handler(sqsEvent(sqsRecord(markerEvent(), 'm1'), sqsRecord(markerEvent(), 'm2')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    const file = download(bucket)!;
    expect(file).toMatchObject({ contentType: 'application/gzip', contentDisposition: 'attachment; filename="job-1.log.gz"' });
    expect(file.metadata).toEqual({
      owner: 'alice',
      team: 'vision',
      'line-count': '2',
      gaps: '0',
      'missing-chunks': '0',
      status: 'complete',
      sources: '1',
      chunks: '2',
    });
    expect(gunzipSync(file.body).toString()).toBe('2026-11-25T10:00:00.000Z stdout line 0\n2026-11-25T10:00:00.001Z stdout line 1\n');
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({ records: 2, jobs: 1, assembled: 1 });
  });

  it('waits for a missing chunk: sends itself a delayed retry instead of writing a file', async () => {
    const { bucket, queue, handler } = assembler();
    givenJob(bucket, marker(), [1]);
    expect(await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(download(bucket)).toBeUndefined();
    // ended 10:09:30 + 60 s wait − now 10:10:00
    expect(queue.sent).toEqual([{ request: { jobId: 'job-1' }, delaySeconds: 30 }]);
  });

  it('after the wait, writes the gap marker and schedules a look for the late chunk', async () => {
    const { bucket, queue, handler, logs } = assembler({ now: NOW + 120_000 });
    givenJob(bucket, marker(), [1]);
    await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext());
    const file = download(bucket)!;
    expect(file.metadata).toMatchObject({ gaps: '1', 'missing-chunks': '1', 'line-count': '1' });
    expect(gunzipSync(file.body).toString()).toBe(
      '2026-11-25T10:00:00.000Z joblogs [gap] chunk 0 of source main never arrived: lines 0-0 (1) missing\n2026-11-25T10:00:00.001Z stdout line 1\n',
    );
    // The look for the late chunk, and the job's archive (docs/archive.md).
    expect(queue.sent).toEqual([
      { request: { jobId: 'job-1', recheck: 1 }, delaySeconds: 900 },
      { request: { jobId: 'job-1', archive: true }, delaySeconds: 0 },
    ]);
    // The batch line counts the gap as a metric (EMF): the assembler-gaps alarm reads it.
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({
      gaps: 1,
      Gaps: 1,
      DownloadsAssembled: 1,
      Function: 'assembler',
      _aws: { CloudWatchMetrics: [{ Namespace: 'joblogs' }] },
    });
  });

  it('does nothing for a job still running, ignores the S3 test event, and reports an unknown job', async () => {
    const { bucket, logs, handler } = assembler();
    givenJob(bucket, marker({ status: 'running', lastSeq: undefined, lineCount: undefined, endedAt: undefined }), [0]);
    const out = await handler(sqsEvent(sqsRecord(markerEvent(), 'm1'), sqsRecord(S3_TEST_EVENT, 'm2'), sqsRecord(markerEvent('job-2'), 'm3')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    expect(download(bucket)).toBeUndefined();
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({ running: 1, notFound: 1 });
  });

  it('dead-letters an unreadable message with its reason and goes on with the rest of the batch', async () => {
    const { bucket, logs, handler } = assembler();
    givenJob(bucket, marker(), [0, 1]);
    const out = await handler(sqsEvent(sqsRecord('{"jobId": "../x"}', 'bad'), sqsRecord(markerEvent(), 'good')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    expect(download(bucket)).toBeDefined();
    expect(bucket.reports).toEqual([expect.objectContaining({ code: 'MALFORMED_MESSAGE', messageId: 'bad' })]);
    expect([...bucket.objects.keys()].filter((k) => k.startsWith('dead-letter/assembler/'))).toHaveLength(1);
    expect(logs.find((l) => l.message === 'permanent failure sent to the dead-letter path')).toMatchObject({ messageId: 'bad', code: 'MALFORMED_MESSAGE' });
  });

  it('stamps the registered owner on the file, whatever a producer wrote into its chunks and markers', async () => {
    const { bucket, handler } = assembler();
    givenJob(bucket, marker(), [0, 1]);
    bucket.put('chunks/v1/job-1/main/0000000000.log.gz', chunkBody(0, 'line 0'), { format: 'framed-v1', owner: 'mallory', team: 'evil' });
    bucket.put('jobs/v1/job-1/main/final.json', JSON.stringify({ ...marker(), owner: 'mallory', team: 'evil' }));
    await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext());
    expect(download(bucket)!.metadata).toMatchObject({ owner: 'alice', team: 'vision' });
  });

  it('builds no file for a job no launcher registered (nobody could read it)', async () => {
    const { bucket, logs, handler } = assembler();
    bucket.putMarker(marker());
    bucket.put('chunks/v1/job-1/main/0000000000.log.gz', chunkBody(0, 'line 0'), { format: 'framed-v1' });
    expect(await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(download(bucket)).toBeUndefined();
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({ unregistered: 1 });
  });

  it('hands every message of a job back to SQS when S3 fails, and only those', async () => {
    const { bucket, handler } = assembler();
    bucket.unavailable.add('jobs/v1/job-1/');
    const out = await handler(sqsEvent(sqsRecord(markerEvent(), 'a'), sqsRecord(markerEvent('job-2'), 'b'), sqsRecord(markerEvent(), 'c')), lambdaContext());
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a', 'c']);
  });

  it('hands a job back when its delayed retry cannot be queued, instead of losing the wait', async () => {
    const { bucket, queue, handler } = assembler();
    givenJob(bucket, marker(), [1]);
    queue.failing = true;
    expect(await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('hands a job back when its dead-letter report cannot be written', async () => {
    const { bucket, handler } = assembler();
    bucket.unavailable.add('dead-letter/');
    expect(await handler(sqsEvent(sqsRecord('not json', 'bad')), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });

  it("builds an archive once per batch, and rebuilds an existing one when any of the batch's requests is not only-if-missing", async () => {
    const { bucket, logs, handler } = assembler();
    givenJob(bucket, marker(), [0, 1]);
    const archiveRequest = (body: object, id: string) => sqsRecord(JSON.stringify({ jobId: 'job-1', archive: true, ...body }), id);
    const built = () => logs.filter((l) => l.message === 'archive built').length;
    await handler(sqsEvent(archiveRequest({ ifMissing: true }, 'm1'), archiveRequest({ ifMissing: true }, 'm2')), lambdaContext());
    expect(built()).toBe(1);
    await handler(sqsEvent(archiveRequest({ ifMissing: true }, 'm3')), lambdaContext());
    expect(built()).toBe(1);
    expect(logs.at(-2)).toMatchObject({ message: 'archive exists or is being built: request dropped', jobId: 'job-1' });
    await handler(sqsEvent(archiveRequest({ ifMissing: true }, 'm4'), archiveRequest({}, 'm5')), lambdaContext());
    expect(built()).toBe(2);
  });

  it('continues in a new invocation when the deadline is near, without starting work it cannot finish', async () => {
    const { bucket, logs, handler } = assembler();
    givenJob(bucket, marker(), [0, 1]);
    const out = await handler(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext(config.deadlineHeadroomMs - 1));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(download(bucket)).toBeUndefined();
    expect(logs.find((l) => l.message === 'will be retried')).toMatchObject({ messageIds: ['m1'], jobId: 'job-1', error: { code: 'DEADLINE' } });
  });
});
