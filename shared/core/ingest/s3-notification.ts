import { decodeEventKey } from '../contract/chunk-key.js';
import { MalformedMessageError } from '../errors.js';

/** A created object named by an S3 event notification (key already URL-decoded). */
export interface CreatedObject {
  bucket: string;
  key: string;
  eventTime: string | undefined;
  size: number | undefined;
}

export type ChunkNotification = { kind: 'test' } | { kind: 'objects'; objects: CreatedObject[]; ignored: number };

/**
 * Reads the body of one SQS message sent by an S3 event notification: several records per
 * message, the `s3:TestEvent` S3 sends when the notification is configured, and the same JSON
 * wrapped in an SNS envelope (fan-out setups).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export function parseChunkNotification(body: string): ChunkNotification {
  let message = parseJson(body, 'SQS message body');
  if (message['Type'] === 'Notification' && typeof message['Message'] === 'string') {
    message = parseJson(message['Message'], 'SNS Message');
  }
  if (message['Event'] === 's3:TestEvent') return { kind: 'test' };
  const records = message['Records'];
  if (!Array.isArray(records)) {
    throw new MalformedMessageError('SQS message body is not an S3 event notification (no "Records" array)', {
      details: { body: body.slice(0, 512) },
    });
  }
  const objects: CreatedObject[] = [];
  let ignored = 0;
  records.forEach((record: unknown, index) => {
    // biome-ignore lint/suspicious/noExplicitAny: an untrusted message body, checked field by field below
    const r = record as Record<string, any> | null;
    if (r?.['eventSource'] !== 'aws:s3' || typeof r['eventName'] !== 'string') {
      throw new MalformedMessageError(`S3 event record ${index} is not an aws:s3 event`, { details: { index } });
    }
    if (!r['eventName'].startsWith('ObjectCreated:')) {
      ignored++;
      return;
    }
    const bucket = r['s3']?.['bucket']?.['name'];
    const key = r['s3']?.['object']?.['key'];
    if (typeof bucket !== 'string' || typeof key !== 'string' || key === '') {
      throw new MalformedMessageError(`S3 event record ${index} has no bucket name or object key`, { details: { index } });
    }
    let decoded: string;
    try {
      decoded = decodeEventKey(key);
    } catch (cause) {
      throw new MalformedMessageError(`S3 event record ${index} has a badly URL-encoded key`, { cause, details: { key } });
    }
    const size = r['s3']?.['object']?.['size'];
    objects.push({
      bucket,
      key: decoded,
      eventTime: typeof r['eventTime'] === 'string' ? r['eventTime'] : undefined,
      size: typeof size === 'number' ? size : undefined,
    });
  });
  return { kind: 'objects', objects, ignored };
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MalformedMessageError(`${what} is not JSON`, { cause, details: { body: text.slice(0, 512) } });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMessageError(`${what} is not a JSON object`, { details: { body: text.slice(0, 512) } });
  }
  return value as Record<string, unknown>;
}
