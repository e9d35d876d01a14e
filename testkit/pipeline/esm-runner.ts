/**
 * Emulates Lambda's SQS event source mapping for one handler, against any SQS endpoint (moto
 * locally): long-poll, batching window, a Lambda-shaped `SQSEvent` and `Context`, partial batch
 * responses, and deletion of only the records that succeeded.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 *
 * Why not serverless-offline + serverless-offline-sqs: serverless-offline 14 peer-depends on the
 * `serverless` v4 package (licensed, needs a login), not on osls; serverless-offline-sqs 8 is
 * built on the v2 `aws-sdk`, has no batching window, treats a malformed partial-batch response
 * as "all succeeded", and runs the handler inside
 * serverless-offline, where tests cannot pass it collaborators. This runner is ~250 lines.
 *
 * Failed records are left alone, as Lambda does: they reappear after the queue's
 * VisibilityTimeout and moto moves them to the DLQ after `maxReceiveCount` receives (verified
 * with moto 5.2.5). `retryDelayS` is a test-only shortcut that makes them visible sooner.
 *
 * Our functions are wired to it by {@link startLocalPipeline} (./start-local-pipeline.ts); use
 * `startRunner` directly only for a handler of your own (the infra test's probes).
 *
 * @example
 * const runner = await startRunner({ queueUrl, sqsClient, handler, ...mappingOptions(fn) });
 * …; await runner.stop();   // lets the last poll finish and hands back what it got
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { lambdaContext } from '../lambda.js';
import type { LocalFunction } from '../stack/stack-file.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined | null | undefined> | SQSBatchResponse | undefined;

export interface RunnerOptions {
  queueUrl: string;
  handler: SqsHandler;
  sqsClient: SQSClient;
  /** Lambda's BatchSize (1–10 000; SQS returns at most 10 per receive). */
  batchSize?: number;
  /** Lambda's MaximumBatchingWindowInSeconds. */
  batchingWindowS?: number;
  /** The function timeout; the handler's Context counts down from it and the batch fails when it passes. */
  functionTimeoutS?: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures (default true). */
  reportBatchItemFailures?: boolean;
  functionName?: string;
  memoryMb?: number;
  region?: string;
  /** Test-only: make failed records visible again after this many seconds instead of the queue's VisibilityTimeout. */
  retryDelayS?: number;
  /** Called after every invocation. */
  onBatch?: (outcome: BatchOutcome) => void;
  /** Where runner errors (not handler errors) go; default console.error. */
  onError?: (error: unknown) => void;
}

export interface BatchOutcome {
  messageIds: string[];
  succeeded: string[];
  failed: string[];
  /** Set when the whole batch failed: the handler threw, timed out or answered malformed. */
  error?: unknown;
  durationMs: number;
}

export interface RunnerStats {
  batches: number;
  received: number;
  deleted: number;
  failed: number;
  invocationErrors: number;
}

export interface Runner {
  stop(): Promise<void>;
  readonly stats: Readonly<RunnerStats>;
}

/**
 * Long-poll wait. Lambda's pollers use SQS' maximum (20 s); a shorter wait here only bounds how
 * long `stop()` takes, since a stopping runner lets its last poll finish (see `stop`).
 */
const MAX_WAIT_S = 5;

/** A message received from SQS, as Lambda hands it to the function. */
export function toSqsRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const optional of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId'] as const) {
    if (a[optional] !== undefined) attributes[optional] = a[optional];
  }
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
}

function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attributes ?? {})) {
    out[name] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: v.DataType ?? 'String',
    };
  }
  return out;
}

/**
 * Which records failed, following Lambda's rules for partial batch responses: null/empty
 * response or list = all succeeded; anything malformed, or an id not in the batch, = the whole
 * batch failed. Without ReportBatchItemFailures the response is ignored.
 */
export function failedMessageIds(response: unknown, messageIds: readonly string[], reportBatchItemFailures: boolean): string[] {
  if (!reportBatchItemFailures || response === null || response === undefined) return [];
  if (typeof response !== 'object') return [...messageIds];
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return [...messageIds];
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !messageIds.includes(id)) return [...messageIds];
    failed.add(id);
  }
  return messageIds.filter((id) => failed.has(id));
}

class FunctionTimeoutError extends Error {
  constructor(timeoutS: number) {
    super(`Task timed out after ${timeoutS.toFixed(2)} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

/** The runner settings a function's event source mapping gives (batch size, window, response type, timeout). */
export function mappingOptions(
  fn: LocalFunction,
): Pick<RunnerOptions, 'batchSize' | 'batchingWindowS' | 'reportBatchItemFailures' | 'functionName' | 'functionTimeoutS' | 'memoryMb'> {
  return {
    batchSize: fn.batchSize,
    batchingWindowS: fn.batchingWindowS,
    reportBatchItemFailures: fn.reportBatchItemFailures,
    functionName: fn.functionName,
    functionTimeoutS: fn.timeoutS,
    memoryMb: fn.memoryMb,
  };
}

/** Starts polling; resolves once the queue ARN is known. */
export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const o = {
    batchSize: 10,
    batchingWindowS: 0,
    functionTimeoutS: 3,
    reportBatchItemFailures: true,
    functionName: 'local-function',
    memoryMb: 128,
    region: (await options.sqsClient.config.region()) ?? 'us-east-1',
    onError: (error: unknown) => console.error('[esm-runner]', error),
    ...options,
  };
  const { Attributes } = await o.sqsClient.send(new GetQueueAttributesCommand({ QueueUrl: o.queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`No QueueArn for ${o.queueUrl}`);
  const accountId = queueArn.split(':')[4];

  const stats: RunnerStats = { batches: 0, received: 0, deleted: 0, failed: 0, invocationErrors: 0 };
  let stopping = false;

  async function receive(max: number, waitS: number): Promise<Message[]> {
    const { Messages = [] } = await o.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: o.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: Math.max(0, Math.min(MAX_WAIT_S, Math.floor(waitS))),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (stopping && Messages.length > 0) {
      // Received after stop(): hand them straight back instead of hiding them for a visibility timeout.
      await o.sqsClient.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: o.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      );
      return [];
    }
    return Messages;
  }

  /** Waits for a first message, then gathers until the batch is full or the window has passed. */
  async function collectBatch(): Promise<Message[]> {
    const batch: Message[] = [];
    while (!stopping && batch.length === 0) batch.push(...(await receive(o.batchSize, MAX_WAIT_S)));
    const windowEnds = Date.now() + o.batchingWindowS * 1000;
    while (!stopping && batch.length < o.batchSize && Date.now() < windowEnds) {
      // Whole seconds only (SQS' WaitTimeSeconds): under a second left, short-poll so the window is not overshot.
      const remainingMs = windowEnds - Date.now();
      const got = await receive(o.batchSize - batch.length, Math.floor(remainingMs / 1000));
      batch.push(...got);
      if (got.length === 0 && remainingMs < 1000) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, windowEnds - Date.now()))));
    }
    return batch;
  }

  async function invoke(records: SQSRecord[]): Promise<{ failed: string[]; error?: unknown }> {
    const ids = records.map((r) => r.messageId);
    const context = lambdaContext({ functionName: o.functionName, memoryMb: o.memoryMb, region: o.region, timeoutS: o.functionTimeoutS, accountId });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(o.functionTimeoutS)), o.functionTimeoutS * 1000);
    });
    try {
      const event: SQSEvent = { Records: records };
      const response = await Promise.race([Promise.resolve(o.handler(event, context)), timeout]);
      const failed = failedMessageIds(response, ids, o.reportBatchItemFailures);
      const malformed = failed.length === ids.length && ids.length > 0 && !isWellFormed(response, ids);
      return malformed ? { failed, error: new Error(`Malformed batch response: ${JSON.stringify(response)}`) } : { failed };
    } catch (error) {
      return { failed: ids, error };
    } finally {
      clearTimeout(timer);
    }
  }

  async function settle(messages: Message[], failed: Set<string>): Promise<void> {
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      const entries = done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! }));
      const result = await o.sqsClient.send(new DeleteMessageBatchCommand({ QueueUrl: o.queueUrl, Entries: entries }));
      stats.deleted += result.Successful?.length ?? 0;
      if (result.Failed?.length) o.onError(new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.Failed)}`));
    }
    const retry = messages.filter((m) => failed.has(m.MessageId!));
    if (o.retryDelayS !== undefined && retry.length > 0) {
      for (let i = 0; i < retry.length; i += 10) {
        await o.sqsClient.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: o.queueUrl,
            Entries: retry.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: o.retryDelayS })),
          }),
        );
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        const messages = await collectBatch();
        if (messages.length === 0) continue;
        // Lambda delivers the batch even when asked to stop mid-window; so do we.
        const started = Date.now();
        const records = messages.map((m) => toSqsRecord(m, queueArn!, o.region));
        stats.batches++;
        stats.received += records.length;
        const { failed, error } = await invoke(records);
        if (error) stats.invocationErrors++;
        stats.failed += failed.length;
        const failedSet = new Set(failed);
        await settle(messages, failedSet);
        o.onBatch?.({
          messageIds: records.map((r) => r.messageId),
          succeeded: records.map((r) => r.messageId).filter((id) => !failedSet.has(id)),
          failed,
          ...(error ? { error } : {}),
          durationMs: Date.now() - started,
        });
      } catch (error) {
        if (stopping) break;
        o.onError(error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  const running = loop();
  return {
    stats,
    async stop() {
      // Aborting the HTTP request would not cancel the poll on the server, which could still take
      // (and hide) the next message; so the last poll is allowed to finish and give back what it got.
      stopping = true;
      await running;
    },
  };
}

function isWellFormed(response: unknown, ids: readonly string[]): boolean {
  if (response === null || response === undefined) return true;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  return (
    Array.isArray(failures) &&
    failures.every((f: { itemIdentifier?: unknown } | null) => typeof f?.itemIdentifier === 'string' && ids.includes(f.itemIdentifier))
  );
}
