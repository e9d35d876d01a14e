import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable, Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssemblerHandler } from '../../../../functions/assembler/create-handler.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../../../shared/config/assembler-config.js';
import { encodeFrame, type JobMarker } from '../../../../shared/core/contract/index.js';
import { S3_TEST_EVENT, s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';
import { lambdaContext } from '../../../../testkit/index.js';

const BUCKET = 'joblogs-test-logs';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-test-assemble';
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const config = loadAssemblerConfig({ STAGE: 'test', LOG_BUCKET: BUCKET, ASSEMBLE_QUEUE_URL: QUEUE, GAP_WAIT_SECONDS: '60' });

let logs: Array<Record<string, any>>;
let now: number;
function handler() {
  const sink = new Writable({ write: (c, _e, done) => (logs.push(JSON.parse(String(c))), done()) });
  return createAssemblerHandler(config, { s3: new S3Client({ region: 'us-east-1' }), logger: createLogger('test', sink), now: () => now });
}
beforeEach(() => {
  s3.reset();
  sqs.reset();
  logs = [];
  now = Date.parse('2026-11-25T10:10:00.000Z');
});
afterEach(() => {
  s3.reset();
  sqs.reset();
});

const T = Date.parse('2026-11-25T10:00:00.000Z');
const marker = (over: Partial<JobMarker>): JobMarker => ({ version: 1, jobId: 'job-1', source: 'main', status: 'final', lastSeq: 1, lineCount: 2, owner: 'alice', team: 'vision', startedAt: new Date(T).toISOString(), endedAt: '2026-11-25T10:09:30.000Z', ...over });
const markerEvent = (jobId = 'job-1', source = 'main') => s3EventBody(BUCKET, [`jobs/v1/${jobId}/${source}.json`]);
const chunkBody = (line: number, text: string) => gzipSync(`${encodeFrame({ time: T + line, stream: 'stdout', line, bytes: Buffer.from(text), terminator: '\n' })}\n`);

/** S3 with one job: its marker and the given chunk seqs. */
function givenJob(m: JobMarker, seqs: number[]) {
  s3.on(ListObjectsV2Command, { Prefix: 'jobs/v1/job-1/' }).resolves({ Contents: [{ Key: 'jobs/v1/job-1/main.json' }] });
  s3.on(GetObjectCommand, { Key: 'jobs/v1/job-1/main.json' }).callsFake(() => ({ Body: { transformToString: async () => JSON.stringify(m) } }));
  s3.on(ListObjectsV2Command, { Prefix: 'chunks/v1/job-1/' }).resolves({ Contents: seqs.map((s) => ({ Key: `chunks/v1/job-1/main/${String(s).padStart(10, '0')}.log.gz` })) });
  for (const seq of seqs) {
    s3.on(GetObjectCommand, { Key: `chunks/v1/job-1/main/${String(seq).padStart(10, '0')}.log.gz` }).callsFake(() => {
      const body = chunkBody(seq, `line ${seq}`);
      return { Body: Readable.from([body]), Metadata: { format: 'framed-v1', owner: 'alice', team: 'vision' }, ContentLength: body.length };
    });
  }
}

describe('assembler handler', () => {
  it('assembles a finished job once per batch however many of its markers arrived, with owner, team and counts in the metadata', async () => {
    givenJob(marker({}), [0, 1]);
    s3.on(PutObjectCommand).resolves({});
    const out = await handler()(sqsEvent(sqsRecord(markerEvent(), 'm1'), sqsRecord(markerEvent(), 'm2')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const put = puts[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: 'downloads/job-1.log.gz', ContentType: 'application/gzip', ContentDisposition: 'attachment; filename="job-1.log.gz"' });
    expect(put.Metadata).toEqual({ owner: 'alice', team: 'vision', 'line-count': '2', gaps: '0', 'missing-chunks': '0', status: 'complete', sources: '1', chunks: '2' });
    expect(gunzipSync(put.Body as Buffer).toString()).toBe('2026-11-25T10:00:00.000Z stdout line 0\n2026-11-25T10:00:00.001Z stdout line 1\n');
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({ records: 2, jobs: 1, assembled: 1 });
  });

  it('waits for a missing chunk: sends itself a delayed retry instead of writing a file', async () => {
    givenJob(marker({}), [1]);
    sqs.on(SendMessageCommand).resolves({});
    const out = await handler()(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ QueueUrl: QUEUE, DelaySeconds: 30 }); // ended 10:09:30 + 60 s wait − now 10:10:00
    expect(JSON.parse(sent.MessageBody!)).toEqual({ jobId: 'job-1' });
  });

  it('after the wait, writes the gap marker and schedules a look for the late chunk', async () => {
    now += 120_000;
    givenJob(marker({}), [1]);
    s3.on(PutObjectCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({});
    await handler()(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext());
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Metadata).toMatchObject({ gaps: '1', 'missing-chunks': '1', 'line-count': '1' });
    expect(gunzipSync(put.Body as Buffer).toString()).toBe(
      '2026-11-25T10:00:00.000Z joblogs [gap] chunk 0 of source main never arrived: lines 0-0 (1) missing\n2026-11-25T10:00:00.001Z stdout line 1\n',
    );
    const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.DelaySeconds).toBe(900);
    expect(JSON.parse(sent.MessageBody!)).toEqual({ jobId: 'job-1', recheck: 1 });
  });

  it('does nothing for a job still running, ignores the S3 test event, and reports an unknown job', async () => {
    givenJob(marker({ status: 'running', lastSeq: undefined, lineCount: undefined, endedAt: undefined }), [0]);
    s3.on(ListObjectsV2Command, { Prefix: 'jobs/v1/job-2/' }).resolves({ Contents: [] });
    const out = await handler()(sqsEvent(sqsRecord(markerEvent(), 'm1'), sqsRecord(S3_TEST_EVENT, 'm2'), sqsRecord(markerEvent('job-2'), 'm3')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(logs.find((l) => l.message === 'assembler batch done')).toMatchObject({ running: 1, notFound: 1 });
  });

  it('dead-letters an unreadable message with its reason and goes on with the rest of the batch', async () => {
    givenJob(marker({}), [0, 1]);
    s3.on(PutObjectCommand).resolves({});
    const out = await handler()(sqsEvent(sqsRecord('{"jobId": "../x"}', 'bad'), sqsRecord(markerEvent(), 'good')), lambdaContext());
    expect(out).toEqual({ batchItemFailures: [] });
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key!);
    expect(keys).toContain('downloads/job-1.log.gz');
    const report = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key!.startsWith('dead-letter/assembler/'))!.args[0].input;
    expect(JSON.parse(report.Body as string)).toMatchObject({ code: 'MALFORMED_MESSAGE', messageId: 'bad' });
    expect(logs.find((l) => l.message === 'permanent failure sent to the dead-letter path')).toMatchObject({ messageId: 'bad', code: 'MALFORMED_MESSAGE' });
  });

  it('hands every message of a job back to SQS when S3 fails, and only those', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'jobs/v1/job-1/' }).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
    s3.on(ListObjectsV2Command, { Prefix: 'jobs/v1/job-2/' }).resolves({ Contents: [] });
    const out = await handler()(sqsEvent(sqsRecord(markerEvent(), 'a'), sqsRecord(markerEvent('job-2'), 'b'), sqsRecord(markerEvent(), 'c')), lambdaContext());
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a', 'c']);
  });

  it('continues in a new invocation when the deadline is near, without starting work it cannot finish', async () => {
    givenJob(marker({}), [0, 1]);
    const out = await handler()(sqsEvent(sqsRecord(markerEvent(), 'm1')), lambdaContext(config.deadlineHeadroomMs - 1));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });
});
