/**
 * The bad-input corpus (test/fixtures/bad-input) on the real stack: every input is announced in
 * one SQS batch with a good chunk, and must end as a classified dead-letter report whose reason
 * is in the function's log line, or as exactly the documented documents — while the good chunk
 * beside it is indexed and the data stream's mapping does not grow.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { candidateFeatures, ecsMappings, mappingPlan } from '../../shared/core/cluster/index.js';
import { chunkKey } from '../../shared/core/contract/index.js';
import { printedText } from '../../shared/core/logs/index.js';
import { s3EventBody } from '../fixtures/events.js';
import { badInputCorpus, type BadInputCase, type ExpectedDocuments } from '../fixtures/bad-input/index.js';
import { gz } from '../fixtures/bad-input/gzip.js';
import {
  countJobDocuments,
  deadLetterReports,
  eventually,
  jobDocuments,
  leafFields,
  mappingFieldCount,
  writeSuiteResults,
  type SuiteRow,
} from '../../testkit/index.js';
import { loadStack, purgeQueues, type LocalStack } from '../../testkit/stack/index.js';

const DATA_STREAM = 'logs-mlplatform.job-local';
const FULL = process.env['JOBLOGS_SUITE_FULL'] === '1';
const cases = badInputCorpus({ full: FULL });
const runId = randomUUID().slice(0, 8);
/** Documents fetched whole up to this many; beyond, the first and last EDGE only. */
const FETCH_ALL = 10_000;
const EDGE = 1_000;

interface Planned {
  case: BadInputCase;
  jobId: string;
  badKey: string;
  goodJobId: string;
  goodKey: string;
  goodLines: string[];
  /** SQS ids of the message carrying the bad input (and of the good chunk's own message, if separate). */
  messageIds: string[];
}

let stack: LocalStack;
let indexer: LocalPipeline;
let reports: Array<{ objectKey: string; report: Record<string, any> }> = [];
const planned = new Map<string, Planned>();
const rows: SuiteRow[] = [];

function plan(c: BadInputCase): Planned {
  const jobId = `bad-${c.kind}-${runId}`;
  const goodJobId = `good-${c.kind}-${runId}`;
  return {
    case: c,
    jobId,
    badKey: c.object?.key?.(jobId) ?? chunkKey({ jobId, source: 'main', seq: 0 }),
    goodJobId,
    goodKey: chunkKey({ jobId: goodJobId, source: 'main', seq: 0 }),
    goodLines: [`good line 1 beside ${c.kind}`, `good line 2 beside ${c.kind}`],
    messageIds: [],
  };
}

/** One S3 event naming several objects, possibly of different buckets (S3 may batch records). */
function eventFor(objects: Array<{ bucket: string; key: string }>): string {
  return JSON.stringify({ Records: objects.flatMap((o) => JSON.parse(s3EventBody(o.bucket, [o.key])).Records) });
}

async function putObjects(p: Planned): Promise<void> {
  const { object } = p.case;
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: p.goodKey, Body: gz(`${p.goodLines.join('\n')}\n`), ContentType: 'application/gzip' }));
  if (!object) return;
  await stack.s3.send(
    new PutObjectCommand({
      Bucket: stack.bucket,
      Key: p.badKey,
      Body: object.body(),
      ContentType: object.contentType ?? 'application/gzip',
      ...(object.contentEncoding ? { ContentEncoding: object.contentEncoding } : {}),
      Metadata: object.metadata ?? {},
    }),
  );
  if (object.deleteBeforeEvent) await stack.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: p.badKey }));
}

/** The batch entries of a case: its input with the good chunk, or its message beside the good chunk's. */
function entriesOf(p: Planned): Array<{ body: string; owner: Planned }> {
  const { object, message } = p.case;
  if (message)
    return [
      { body: message({ bucket: stack.bucket, key: p.badKey }), owner: p },
      { body: eventFor([{ bucket: stack.bucket, key: p.goodKey }]), owner: p },
    ];
  return [
    {
      body: eventFor([
        { bucket: object?.eventBucket ?? stack.bucket, key: p.badKey },
        { bucket: stack.bucket, key: p.goodKey },
      ]),
      owner: p,
    },
  ];
}

async function sendAll(): Promise<number> {
  const light = [...planned.values()].filter((p) => !p.case.heavy).flatMap(entriesOf);
  const heavy = [...planned.values()].filter((p) => p.case.heavy).map(entriesOf);
  const batches: Array<Array<{ body: string; owner: Planned }>> = [];
  for (let i = 0; i < light.length; i += 10) batches.push(light.slice(i, i + 10));
  batches.push(...heavy);
  for (const batch of batches) {
    const sent = await stack.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: stack.chunkQueueUrl, Entries: batch.map((e, i) => ({ Id: String(i), MessageBody: e.body })) }),
    );
    for (const ok of sent.Successful ?? []) batch[Number(ok.Id)]!.owner.messageIds.push(ok.MessageId!);
    if (sent.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(sent.Failed)}`);
  }
  return batches.reduce((n, b) => n + b.length, 0);
}

beforeAll(async () => {
  stack = loadStack();
  for (const c of cases) planned.set(c.kind, plan(c));
  // Objects first, with no runner polling: their own notifications are purged below, so each
  // input reaches the indexer exactly in the batch this test builds for it.
  for (const p of planned.values()) await putObjects(p);
  await purgeQueues(stack);
  indexer = await startLocalPipeline({ stack, indexer: quickIndexer({ functionTimeoutS: 60 }), purge: true });
  const messages = await sendAll();
  await eventually(
    async () => indexer.indexer!.stats.deleted,
    (d) => d >= messages,
    `${messages} messages to be processed`,
    280_000,
  );
  reports = await deadLetterReports(stack);
}, 300_000);

afterAll(async () => {
  await indexer?.stop();
  await stack?.close();
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'bad-input',
      title: 'Bad-input corpus (indexer, local stack)',
      notes: [
        `${cases.length} kinds, each announced in one SQS batch with a good two-line chunk (test/integration/bad-input.test.ts).`,
        FULL ? 'Long run: full-size inputs.' : 'CI run: `many-tiny-lines` at 100 000 lines; `npm run suite:long` runs it at 1 000 000.',
      ],
      rows,
    });
  }
});

function describeExpectation(c: BadInputCase): string {
  const e = c.expect;
  if (e.outcome === 'dead-letter') return `dead-letters ${e.code}${e.documents ? `, ${docsText(e.documents)} of it indexed` : ''}`;
  if (e.outcome === 'accepted') return `is accepted as ${docsText(e.documents)}`;
  return `is acknowledged (${e.counter})`;
}

function docsText(d: ExpectedDocuments): string {
  return d.count === undefined ? 'the intact lines' : `${d.count} document(s)`;
}

/** A log line about the same object (object failures) or the same message (message failures). */
function sameSubject(line: Record<string, any>, report: Record<string, any>): boolean {
  return report['key'] !== undefined ? line['key'] === report['key'] : line['messageId'] === report['messageId'];
}

async function documentsOf(jobId: string, expected: ExpectedDocuments | undefined) {
  const count = await countJobDocuments(stack, DATA_STREAM, jobId);
  const docs = count === 0 ? [] : await jobDocuments(stack, DATA_STREAM, jobId, count > FETCH_ALL ? { edge: EDGE } : {});
  if (expected?.count !== undefined) expect(count, 'documents of the input').toBe(expected.count);
  const sources = docs.map((d) => d._source);
  if (expected?.messages) expect(sources.map((s) => printedText(s))).toEqual(expected.messages);
  expected?.check?.(sources);
  return count;
}

describe('bad-input corpus: each input beside a good chunk in one batch', () => {
  for (const c of cases) {
    it(`${c.kind} ${describeExpectation(c)}, and the good chunk beside it is indexed`, async () => {
      const p = planned.get(c.kind)!;
      const row: SuiteRow = {
        name: c.kind,
        input: c.input,
        expected: describeExpectation(c).replace(/^is /, ''),
        observed: 'not checked (test failed early)',
        pass: false,
      };
      rows.push(row);
      const mine = reports.filter((r) => (r.report['key'] !== undefined ? r.report['key'] === p.badKey : p.messageIds.includes(r.report['messageId'])));
      const observed: string[] = [];
      for (const r of mine) {
        const logged = indexer.logs.some((l) => l['code'] === r.report['code'] && l['reason'] === r.report['reason'] && sameSubject(l, r.report));
        observed.push(`dead-letter ${r.report['code']}${logged ? ', reason logged' : ', NOT logged'}: "${String(r.report['reason']).slice(0, 110)}"`);
      }
      const goodDocs = await jobDocuments(stack, DATA_STREAM, p.goodJobId);
      const goodOk = goodDocs.length === 2 && goodDocs.every((d, i) => d._source['message'] === p.goodLines[i]);
      const inputDocs = c.object ? await countJobDocuments(stack, DATA_STREAM, p.jobId) : 0;
      observed.push(`${inputDocs} document(s) of the input`, goodOk ? 'good chunk indexed' : `good chunk: ${goodDocs.length} document(s)`);
      // The run id makes job ids unique per run; the report should not change with it.
      row.observed = observed.join('; ').replaceAll(runId, '<run>');

      expect(goodDocs.map((d) => d._source['message'])).toEqual(p.goodLines);
      const e = c.expect;
      if (e.outcome === 'dead-letter') {
        expect(mine.map((r) => r.report['code'])).toEqual([e.code]);
        const report = mine[0]!.report;
        expect(report['reason']).toEqual(expect.any(String));
        expect(report['messageId']).toBeOneOf(p.messageIds);
        const logLine = indexer.logs.find((l) => l['code'] === e.code && sameSubject(l, report));
        expect(logLine, 'the function logs the failure').toMatchObject({
          reason: report['reason'],
          deadLetter: expect.stringMatching(/^dead-letter\/indexer\//),
        });
        if (c.object) await documentsOf(p.jobId, e.documents ?? { count: 0 });
      } else if (e.outcome === 'accepted') {
        expect(mine.map((r) => r.report['code'])).toEqual([]);
        await documentsOf(p.jobId, e.documents);
      } else {
        expect(mine).toEqual([]);
        expect(indexer.logs.filter((l) => l['message'] === 'indexer batch done').some((l) => l[e.counter] >= 1)).toBe(true);
      }
      row.pass = true;
    });
  }

  it('adds no field to the data stream mapping, whatever the input', async () => {
    const kind = stack.info.elasticsearch.kind;
    const planned = leafFields(ecsMappings(mappingPlan(kind, new Set(candidateFeatures(kind)))).properties);
    const actual = await mappingFieldCount(stack, DATA_STREAM);
    rows.push({
      name: 'mapping-bounded',
      input: `every input above, into ${DATA_STREAM}`,
      expected: `mapping keeps the ${planned} planned fields`,
      observed: `${actual} mapped fields`,
      pass: actual === planned,
    });
    expect(actual).toBe(planned);
  });
});
