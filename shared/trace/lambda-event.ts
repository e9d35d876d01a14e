import { traceFromHeaders, traceFromSqsMessage } from './carriers.js';
import type { TraceContext } from './types.js';

/** Where the trace of a Lambda event comes from. */
export type LambdaTraceSource =
  | { kind: 'http'; trace: TraceContext }
  | { kind: 'sqs'; trace: TraceContext }
  | { kind: 's3'; bucket: string; key: string }
  | { kind: 'none' };

/**
 * Finds the trace carrier of an event: the headers of an HTTP event (API Gateway v1/v2, ALB,
 * function URL), the attributes of a single SQS message, or the object of a single S3
 * notification (whose metadata the caller must fetch). A batch of several records has no single
 * parent: the handler continues each record's trace itself.
 */
export function lambdaTraceSource(event: unknown): LambdaTraceSource {
  if (!isObject(event)) return { kind: 'none' };
  if (isObject(event['headers'])) return { kind: 'http', trace: traceFromHeaders(event['headers'] as Record<string, string>) };
  const records = event['Records'];
  if (!Array.isArray(records) || records.length !== 1 || !isObject(records[0])) return { kind: 'none' };
  const record = records[0];
  if (record['eventSource'] === 'aws:sqs') return { kind: 'sqs', trace: traceFromSqsMessage(record) };
  const s3 = record['s3'];
  if (record['eventSource'] === 'aws:s3' && isObject(s3) && isObject(s3['bucket']) && isObject(s3['object'])) {
    // Keys in S3 notifications are URL-encoded with `+` for spaces.
    const key = decodeURIComponent(String(s3['object']['key']).replace(/\+/g, ' '));
    return { kind: 's3', bucket: String(s3['bucket']['name']), key };
  }
  return { kind: 'none' };
}

// biome-ignore lint/suspicious/noExplicitAny: any event shape, narrowed by the caller
function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null;
}
