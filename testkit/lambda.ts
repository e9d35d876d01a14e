/**
 * The one Lambda `Context` factory: what the SQS event-source emulator, the local HTTP API and the
 * handler tests hand a handler. `getRemainingTimeInMillis()` counts down from the deadline, so a
 * handler's headroom logic sees a real clock.
 *
 * @example
 * await handler(event, lambdaContext());                                   // 120 s left
 * await handler(event, lambdaContext(400));                                // 400 ms left: the deadline path
 * lambdaContext({ functionName: 'joblogs-local-indexer', memoryMb: 1024, timeoutS: 60 });
 */
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export interface LambdaContextOptions {
  functionName?: string;
  memoryMb?: number;
  region?: string;
  accountId?: string;
  /** The function timeout: the deadline is this far from now. */
  timeoutS?: number;
  /** The deadline in milliseconds from now (instead of `timeoutS`); default 120 000. */
  remainingMs?: number;
}

/** A Lambda-shaped context; a number is shorthand for `{ remainingMs }`. */
export function lambdaContext(options: LambdaContextOptions | number = {}): Context {
  const o = typeof options === 'number' ? { remainingMs: options } : options;
  const functionName = o.functionName ?? 'joblogs-local-function';
  const region = o.region ?? 'us-east-1';
  const deadline = Date.now() + (o.remainingMs ?? (o.timeoutS ?? 120) * 1000);
  const awsRequestId = randomUUID();
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${o.accountId ?? '123456789012'}:function:${functionName}`,
    memoryLimitInMB: String(o.memoryMb ?? 1024),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${date}/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
