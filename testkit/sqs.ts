/**
 * SQS (moto) helpers for tests, the pipeline and the load run.
 *
 * @example
 * await emptyQueues(stack.sqs, [stack.chunkQueueUrl, stack.deadLetterQueueUrl]);
 * const waiting = await queueDepth(stack.sqs, stack.chunkQueueUrl);
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Empties queues by receiving and deleting (SQS, and moto, allow one PurgeQueue per queue per
 * 60 s, too few between tests). In-flight messages stay in flight. Returns how many went.
 */
export async function emptyQueues(sqs: SQSClient, queueUrls: readonly string[]): Promise<number> {
  let removed = 0;
  for (const QueueUrl of queueUrls) {
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      removed += Messages.length;
    }
  }
  return removed;
}

/** Messages waiting or in flight. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  return Number(a['ApproximateNumberOfMessages'] ?? 0) + Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0);
}
