/**
 * The local stack is as faithful as the integration tests assume: moto provisioned from the
 * packaged template (notification filter, queue attributes, redrive, credentials parameter),
 * the search cluster of the stack's kind (security on where the local distribution has it) with
 * the stage's templates, and the event-source-mapping
 * runner behaving like Lambda's SQS poller.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { Context, SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateNames } from '../../shared/core/cluster/index.js';
import { esRequest } from '../../testkit/es.js';
import { startRunner, type BatchOutcome, type SqsHandler } from '../../testkit/pipeline/index.js';
import { pauseHost } from '../../testkit/stack/host.js';
import {
  clusterChecksCredentials,
  ensureStackUp,
  loadStack,
  purgeQueues,
  readEventSourceMapping,
  readFunction,
  readTemplate,
  resource,
  type LocalStack,
} from '../../testkit/stack/index.js';

let stack: LocalStack;
let resumeHost: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // These checks read the stack's queues themselves: a running host would take their messages.
  resumeHost = await pauseHost();
  stack = loadStack(await ensureStackUp());
  await purgeQueues(stack);
}, 600_000);

afterAll(async () => {
  await stack?.close();
  await resumeHost?.();
}, 120_000);

async function receiveAll(queueUrl: string, waitS = 2): Promise<Message[]> {
  const { Messages = [] } = await stack.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitS, MessageSystemAttributeNames: ['All'] }),
  );
  return Messages;
}

describe('moto, provisioned from the packaged template', () => {
  it('announces only chunks/…/*.log.gz objects on the chunk queue', async () => {
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    const body = gzipSync('hello\nworld\n');
    for (const Key of [`chunks/v1/${jobId}/main/0000000000.log.gz`, `other/v1/${jobId}/main/0000000000.log.gz`, `chunks/v1/${jobId}/main/notes.txt`]) {
      await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key, Body: body }));
    }
    const messages = await receiveAll(stack.chunkQueueUrl);
    const keys = messages.flatMap((m) =>
      (JSON.parse(m.Body!) as { Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string } } }> }).Records.map(
        (r) => `${r.eventName} ${r.s3.bucket.name}/${decodeURIComponent(r.s3.object.key.replaceAll('+', ' '))}`,
      ),
    );
    expect(keys).toEqual([`ObjectCreated:Put ${stack.bucket}/chunks/v1/${jobId}/main/0000000000.log.gz`]);
    await purgeQueues(stack);
  });

  it('gives the chunk queue the template’s attributes and redrive policy', async () => {
    const template = readTemplate(stack.info.resources.templatePath);
    const declared = resource(template, 'ChunkQueue').Properties!;
    const { Attributes = {} } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.chunkQueueUrl, AttributeNames: ['All'] }));
    expect(Number(Attributes['VisibilityTimeout'])).toBe(declared['VisibilityTimeout']);
    expect(Number(Attributes['MessageRetentionPeriod'])).toBe(declared['MessageRetentionPeriod']);
    expect(JSON.parse(Attributes['RedrivePolicy']!)).toEqual({ deadLetterTargetArn: stack.deadLetterQueueArn, maxReceiveCount: 5 });
    expect(JSON.parse(Attributes['Policy']!).Statement[0].Condition.ArnEquals['aws:SourceArn']).toBe(`arn:aws:s3:::${stack.bucket}`);
  });

  it('stores the cluster credentials at the parameter the function is told to read, and they work', async () => {
    const fn = readFunction(readTemplate(stack.info.resources.templatePath), 'IndexerLambdaFunction');
    const name = fn.environment['ES_CREDENTIALS_PARAM'] as string;
    const { Parameter } = await stack.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    expect(Parameter?.Type).toBe('SecureString');
    const auth = JSON.parse(Parameter!.Value!) as { username: string; password: string };
    const health = await esRequest({ url: stack.info.elasticsearch.url, ...auth }, 'GET', '/_cluster/health');
    expect(health.status).not.toBe('red');
  });

  it('runs the cluster with security on (where the distribution has it) and the stage’s index template installed', async () => {
    const anonymous = await fetch(`${stack.info.elasticsearch.url}/_cluster/health`);
    // Read the body: undici can crash the process when an unread response's socket ends (nodejs/undici#5360).
    await anonymous.arrayBuffer();
    expect(anonymous.status).toBe(clusterChecksCredentials(stack.info.elasticsearch.kind) ? 401 : 200);
    const { index_templates } = await esRequest(stack, 'GET', `/_index_template/${templateNames('local').index}`);
    expect(index_templates).toHaveLength(1);
  });

  it('reads the indexer’s event source mapping from the template', () => {
    const mapping = readEventSourceMapping(readTemplate(stack.info.resources.templatePath), 'IndexerLambdaFunction');
    expect(mapping).toEqual({
      functionLogicalId: 'IndexerLambdaFunction',
      queueLogicalId: 'ChunkQueue',
      batchSize: 10,
      batchingWindowS: 1,
      reportBatchItemFailures: true,
    });
    expect(stack.info.resources.function).toMatchObject({ batchSize: 10, batchingWindowS: 1, timeoutS: 120, reportBatchItemFailures: true });
  });
});

describe('event source mapping runner', () => {
  /** A scratch queue pair with the chunk queue's redrive shape, so runner tests never race the real one. */
  async function scratchQueues(maxReceiveCount = 3): Promise<{ queueUrl: string; dlqUrl: string; dispose(): Promise<void> }> {
    const id = randomUUID().slice(0, 8);
    const { QueueUrl: dlqUrl } = await stack.sqs.send(new CreateQueueCommand({ QueueName: `runner-test-${id}-dlq` }));
    const { Attributes } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const { QueueUrl: queueUrl } = await stack.sqs.send(
      new CreateQueueCommand({
        QueueName: `runner-test-${id}`,
        Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount }) },
      }),
    );
    return {
      queueUrl: queueUrl!,
      dlqUrl: dlqUrl!,
      async dispose() {
        await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
        await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
      },
    };
  }

  async function until<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('hands the handler a Lambda-shaped event and context, batched within the window', async () => {
    const q = await scratchQueues();
    const seen: Array<{ event: SQSEvent; remainingMs: number; context: Context }> = [];
    const outcomes: BatchOutcome[] = [];
    for (const body of ['a', 'b', 'c']) {
      await stack.sqs.send(
        new SendMessageCommand({
          QueueUrl: q.queueUrl,
          MessageBody: body,
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'probe' } },
        }),
      );
    }
    const runner = await startRunner({
      queueUrl: q.queueUrl,
      sqsClient: stack.sqs,
      batchSize: 10,
      batchingWindowS: 2,
      functionTimeoutS: 7,
      functionName: 'joblogs-local-indexer',
      handler: async (event, context) => {
        seen.push({ event, remainingMs: context.getRemainingTimeInMillis(), context });
        return { batchItemFailures: [] };
      },
      onBatch: (o) => outcomes.push(o),
    });
    try {
      await until(() => outcomes[0]);
    } finally {
      await runner.stop();
    }
    const [{ event, remainingMs, context }] = seen as [(typeof seen)[number]];
    expect(event.Records.map((r) => r.body).sort()).toEqual(['a', 'b', 'c']);
    const record = event.Records[0]!;
    expect(Object.keys(record).sort()).toEqual([
      'attributes',
      'awsRegion',
      'body',
      'eventSource',
      'eventSourceARN',
      'md5OfBody',
      'md5OfMessageAttributes',
      'messageAttributes',
      'messageId',
      'receiptHandle',
    ]);
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      awsRegion: stack.region,
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:us-east-1:\d{12}:runner-test-/),
    });
    expect(Object.keys(record.attributes).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(record.messageAttributes['kind']).toEqual({ stringValue: 'probe', stringListValues: [], binaryListValues: [], dataType: 'String' });
    // Counted down from the function's 7 s timeout (not the context's 120 s default): within it,
    // and lower when read again later. No bound on how soon the handler ran: that is the machine's.
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(7_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(context.getRemainingTimeInMillis()).toBeLessThan(remainingMs);
    expect(context.functionName).toBe('joblogs-local-indexer');
    expect(runner.stats).toMatchObject({ batches: 1, received: 3, deleted: 3, failed: 0 });
    expect(await receiveAll(q.queueUrl, 0)).toEqual([]);
    await q.dispose();
  });

  it('deletes the records that succeeded and redelivers only the reported failures', async () => {
    const q = await scratchQueues();
    for (const body of ['ok-1', 'fail', 'ok-2']) await stack.sqs.send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: body }));
    const deliveries: string[] = [];
    const outcomes: BatchOutcome[] = [];
    const handler: SqsHandler = async (event) => {
      deliveries.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      const failing = event.Records.filter((r) => r.body === 'fail' && r.attributes.ApproximateReceiveCount === '1');
      return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    const runner = await startRunner({
      queueUrl: q.queueUrl,
      sqsClient: stack.sqs,
      handler,
      batchingWindowS: 1,
      functionTimeoutS: 5,
      retryDelayS: 0,
      onBatch: (o) => outcomes.push(o),
    });
    try {
      await until(() => (deliveries.includes('fail#2') ? true : undefined));
    } finally {
      await runner.stop();
    }
    expect(deliveries.sort()).toEqual(['fail#1', 'fail#2', 'ok-1#1', 'ok-2#1']);
    expect(runner.stats).toMatchObject({ batches: 2, received: 4, deleted: 3, failed: 1 });
    expect(await receiveAll(q.queueUrl, 0)).toEqual([]);
    await q.dispose();
  });

  it.each([
    [
      'throws',
      async () => {
        throw new Error('boom');
      },
    ],
    ['answers malformed', async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] })],
    ['outlives its timeout', () => new Promise<never>(() => undefined)],
  ] as Array<[string, SqsHandler]>)('fails the whole batch when the handler %s, and the queue redrives it to the DLQ', async (_, handler) => {
    const q = await scratchQueues(2);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: 'poison' }));
    const outcomes: BatchOutcome[] = [];
    const runner = await startRunner({
      queueUrl: q.queueUrl,
      sqsClient: stack.sqs,
      handler,
      functionTimeoutS: 1,
      retryDelayS: 0,
      onBatch: (o) => outcomes.push(o),
    });
    try {
      await until(() => (outcomes.length >= 2 ? true : undefined));
    } finally {
      await runner.stop();
    }
    expect(outcomes.every((o) => o.failed.length === 1 && o.succeeded.length === 0 && o.error)).toBe(true);
    // Third receive exceeds maxReceiveCount 2: moto moves the message to the DLQ instead.
    expect(await receiveAll(q.queueUrl, 1)).toEqual([]);
    const dead = await receiveAll(q.dlqUrl, 2);
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
    await q.dispose();
  });
});
