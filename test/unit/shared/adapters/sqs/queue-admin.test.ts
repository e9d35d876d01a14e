import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sqsQueueAdmin } from '../../../../../shared/adapters/sqs/queue-admin.js';
import { RateLimit } from '../../../../../shared/core/ops/index.js';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
const noWait = () => new RateLimit(500, { now: () => 0, sleep: async () => {} });

describe('sqsQueueAdmin', () => {
  it("starts SQS's own move task where it exists, and reads its progress", async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolves({ Results: [{ TaskHandle: 'h1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 40, ApproximateNumberOfMessagesToMove: 100 }] });
    const admin = sqsQueueAdmin(new SQSClient({ region: 'us-east-1' }));
    expect(await admin.startMoveTask({ sourceArn: 'arn:dlq', destinationArn: 'arn:src', perSecond: 25 })).toEqual({ taskHandle: 'h1' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({
      SourceArn: 'arn:dlq',
      DestinationArn: 'arn:src',
      MaxNumberOfMessagesPerSecond: 25,
    });
    expect(await admin.moveTaskStatus('arn:dlq', 'h1')).toEqual({ status: 'RUNNING', moved: 40, toMove: 100, failure: undefined });
  });

  it('says "unsupported" where the endpoint lacks the action (moto answers an HTML error page), and fails on a real error', async () => {
    const admin = sqsQueueAdmin(new SQSClient({ region: 'us-east-1' }));
    sqs
      .on(StartMessageMoveTaskCommand)
      .rejects(Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON'), { $metadata: { httpStatusCode: 500 } }));
    expect(await admin.startMoveTask({ sourceArn: 'a', destinationArn: 'b', perSecond: 1 })).toBe('unsupported');
    sqs
      .on(StartMessageMoveTaskCommand)
      .rejects(Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    await expect(admin.startMoveTask({ sourceArn: 'a', destinationArn: 'b', perSecond: 1 })).rejects.toThrow(/Could not start moving/);
  });

  it('moves by receive, send and delete, sending a message received twice only once', async () => {
    const m = (id: string) => ({ MessageId: id, ReceiptHandle: `r-${id}`, Body: `body ${id}` });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [m('1'), m('2')] })
      .resolvesOnce({ Messages: [m('2'), m('3')] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    const moved: number[] = [];
    const result = await sqsQueueAdmin(new SQSClient({ region: 'us-east-1' })).moveByCopy({
      from: 'dlq',
      to: 'src',
      limit: noWait(),
      max: 100,
      onMoved: (n) => moved.push(n),
    });
    expect(result).toEqual({ moved: 3, seenTwice: 1 });
    expect(sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.MessageBody))).toEqual([
      'body 1',
      'body 2',
      'body 3',
    ]);
    expect(sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.ReceiptHandle))).toEqual([
      'r-1',
      'r-2',
      'r-2',
      'r-3',
    ]);
    expect(moved).toEqual([2, 1]);
  });

  it('looks at messages without taking them: each is made visible again at once', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'a', ReceiptHandle: 'ra', Body: 'x' }] })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    expect(await sqsQueueAdmin(new SQSClient({ region: 'us-east-1' })).peek('dlq', 10)).toEqual([{ messageId: 'a', body: 'x' }]);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'ra', VisibilityTimeout: 0 }]);
  });
});
