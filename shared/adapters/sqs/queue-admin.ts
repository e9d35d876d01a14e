import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QueueUnavailableError } from '../../core/errors.js';
import type { RateLimit } from '../../core/ops/index.js';

export interface QueueDepth {
  arn: string;
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface PeekedMessage {
  messageId: string;
  body: string;
}

export type MoveTaskStatus = { status: string; moved: number; toMove: number | undefined; failure: string | undefined };

/** An operator's view of the stage's queues: depths, a look at messages, and moving a DLQ back. */
export interface QueueAdmin {
  urlOf(name: string): Promise<string>;
  depth(url: string): Promise<QueueDepth>;
  /** Up to `max` messages, made visible again right away (a look, not a take). */
  peek(url: string, max: number): Promise<PeekedMessage[]>;
  send(url: string, body: string): Promise<void>;
  /** SQS's own redrive (`StartMessageMoveTask`); `unsupported` where the endpoint does not have it (moto). */
  startMoveTask(o: { sourceArn: string; destinationArn: string; perSecond: number }): Promise<{ taskHandle: string } | 'unsupported'>;
  moveTaskStatus(sourceArn: string, taskHandle: string): Promise<MoveTaskStatus | undefined>;
  /**
   * The same done by hand where the API is missing: receive from `from`, send to `to`, delete from
   * `from` — at most `limit` per second, each message sent once however often it is received.
   */
  moveByCopy(o: { from: string; to: string; limit: RateLimit; max: number; onMoved: (n: number) => void }): Promise<{ moved: number; seenTwice: number }>;
}

const unavailable = (what: string, error: unknown) => new QueueUnavailableError(`Could not ${what}: ${(error as Error).message}`, { cause: error });

/**
 * What an endpoint without the action answers: an SQS error naming it, a 501, or — moto 5.2 —
 * an HTML error page (its `NotImplementedError`), which the SDK reports as a SyntaxError because
 * it is no SQS answer at all. A real SQS 500 is a JSON `InternalError`, not one of these.
 */
function isUnsupported(error: unknown): boolean {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ''} ${e.message ?? ''}`;
  return (
    /InvalidAction|UnknownOperation|NotImplemented|not (yet )?implemented|UnsupportedOperation/i.test(text) ||
    e.$metadata?.httpStatusCode === 501 ||
    e.name === 'SyntaxError'
  );
}

export function sqsQueueAdmin(sqs: SQSClient): QueueAdmin {
  const receive = async (url: string, max: number, visibilityS: number): Promise<Message[]> =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max),
          VisibilityTimeout: visibilityS,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];
  return {
    async urlOf(name) {
      try {
        return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
      } catch (error) {
        throw unavailable(`find queue ${name}`, error);
      }
    },

    async depth(url) {
      try {
        const a =
          (
            await sqs.send(
              new GetQueueAttributesCommand({
                QueueUrl: url,
                AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
              }),
            )
          ).Attributes ?? {};
        return {
          arn: a['QueueArn'] ?? '',
          visible: Number(a['ApproximateNumberOfMessages'] ?? 0),
          inFlight: Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0),
          delayed: Number(a['ApproximateNumberOfMessagesDelayed'] ?? 0),
        };
      } catch (error) {
        throw unavailable(`read the attributes of ${url}`, error);
      }
    },

    async peek(url, max) {
      const seen = new Map<string, PeekedMessage>();
      try {
        // Kept invisible while we look (so the next receive returns others), then made visible again.
        for (let empty = 0; seen.size < max && empty < 2; ) {
          const batch = await receive(url, max - seen.size, 30);
          if (batch.length === 0) empty++;
          const fresh = batch.filter((m) => !seen.has(m.MessageId!));
          for (const m of fresh) seen.set(m.MessageId!, { messageId: m.MessageId!, body: m.Body ?? '' });
          if (batch.length > 0) {
            await sqs.send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: url,
                Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
              }),
            );
          }
          if (fresh.length === 0 && batch.length > 0) break;
        }
      } catch (error) {
        throw unavailable(`look at the messages of ${url}`, error);
      }
      return [...seen.values()];
    },

    async send(url, body) {
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      } catch (error) {
        throw unavailable(`send to ${url}`, error);
      }
    },

    async startMoveTask({ sourceArn, destinationArn, perSecond }) {
      try {
        const out = await sqs.send(
          new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn, MaxNumberOfMessagesPerSecond: perSecond }),
        );
        return { taskHandle: out.TaskHandle ?? '' };
      } catch (error) {
        if (isUnsupported(error)) return 'unsupported';
        throw unavailable(`start moving the messages of ${sourceArn}`, error);
      }
    },

    async moveTaskStatus(sourceArn, taskHandle) {
      try {
        const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
        const task = out.Results?.find((r) => r.TaskHandle === taskHandle) ?? out.Results?.[0];
        return task
          ? {
              status: task.Status ?? 'UNKNOWN',
              moved: task.ApproximateNumberOfMessagesMoved ?? 0,
              toMove: task.ApproximateNumberOfMessagesToMove,
              failure: task.FailureReason,
            }
          : undefined;
      } catch (error) {
        throw unavailable(`read the move task of ${sourceArn}`, error);
      }
    },

    async moveByCopy({ from, to, limit, max, onMoved }) {
      const sent = new Set<string>();
      let moved = 0;
      let seenTwice = 0;
      try {
        while (moved < max) {
          const batch = await receive(from, max - moved, 60);
          if (batch.length === 0) break;
          // A message received again (its deletion was lost, a visibility timeout ran out) is not sent twice.
          const fresh = batch.filter((m) => !sent.has(m.MessageId!));
          seenTwice += batch.length - fresh.length;
          if (fresh.length > 0) {
            await limit.take(fresh.length);
            const out = await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: to,
                Entries: fresh.map((m, i) => ({
                  Id: String(i),
                  MessageBody: m.Body ?? '',
                  ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
                })),
              }),
            );
            if ((out.Failed ?? []).length > 0)
              throw new Error(`${out.Failed!.length} message(s) could not be sent: ${out.Failed![0]!.Message ?? out.Failed![0]!.Code}`);
            for (const m of fresh) sent.add(m.MessageId!);
          }
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: from, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
          moved += fresh.length;
          onMoved(fresh.length);
        }
      } catch (error) {
        throw unavailable(`move messages from ${from} to ${to} (${moved} moved so far)`, error);
      }
      return { moved, seenTwice };
    },
  };
}
