import { describe, expect, it } from 'vitest';
import { isPermanent, MalformedMessageError } from '../../../../../shared/core/errors.js';
import { parseChunkNotification } from '../../../../../shared/core/ingest/index.js';

type Json = Record<string, unknown>;

/** One record exactly as S3 writes it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). */
function s3Record(key: string, overrides: { eventName?: string; size?: number; bucket?: string; eventTime?: string } = {}): Json {
  const eventName = overrides.eventName ?? 'ObjectCreated:Put';
  const object: Json = { key, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5' };
  if (eventName.startsWith('ObjectCreated:')) object['size'] = overrides.size ?? 1024;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: overrides.eventTime ?? '2026-11-25T10:00:05.123Z',
    eventName,
    userIdentity: { principalId: 'AWS:AIDAEXAMPLEPRINCIPAL' },
    requestParameters: { sourceIPAddress: '10.0.0.1' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'joblogs-chunks',
      bucket: {
        name: overrides.bucket ?? 'joblogs-logs-prod',
        ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
        arn: `arn:aws:s3:::${overrides.bucket ?? 'joblogs-logs-prod'}`,
      },
      object,
    },
  };
}

const body = (...records: Json[]) => JSON.stringify({ Records: records });

const TEST_EVENT = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-11-25T10:00:00.000Z',
  Bucket: 'joblogs-logs-prod',
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
});

function snsEnvelope(message: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:joblogs-chunks',
    Subject: 'Amazon S3 Notification',
    Message: message,
    Timestamp: '2026-11-25T10:00:05.500Z',
    SignatureVersion: '1',
    Signature:
      'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:joblogs-chunks:0',
  });
}

function malformed(text: string): MalformedMessageError {
  try {
    parseChunkNotification(text);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedMessageError);
    expect(isPermanent(error)).toBe(true);
    return error as MalformedMessageError;
  }
  throw new Error('expected the message to be refused');
}

describe('parseChunkNotification', () => {
  it('reads the created object of a real S3 Put notification', () => {
    expect(parseChunkNotification(body(s3Record('chunks/v1/job-42/main/0000000000.log.gz')))).toEqual({
      kind: 'objects',
      objects: [{ bucket: 'joblogs-logs-prod', key: 'chunks/v1/job-42/main/0000000000.log.gz', eventTime: '2026-11-25T10:00:05.123Z', size: 1024 }],
      ignored: 0,
    });
  });

  it('URL-decodes the key: + is a space, %2B a plus, %2F a slash', () => {
    const result = parseChunkNotification(body(s3Record('chunks/v1/job%2B42/main+run%2Fa/0000000000.log.gz')));
    expect(result).toMatchObject({ objects: [{ key: 'chunks/v1/job+42/main run/a/0000000000.log.gz' }] });
  });

  it('decodes percent-encoded UTF-8 in keys', () => {
    const result = parseChunkNotification(body(s3Record('chunks/v1/caf%C3%A9/main/0.log.gz')));
    expect(result).toMatchObject({ objects: [{ key: 'chunks/v1/café/main/0.log.gz' }] });
  });

  it('reads every record of a message, in order', () => {
    const result = parseChunkNotification(
      body(
        s3Record('chunks/v1/job-42/main/0000000000.log.gz', { eventName: 'ObjectCreated:Put' }),
        s3Record('chunks/v1/job-42/main/0000000001.log.gz', { eventName: 'ObjectCreated:CompleteMultipartUpload', size: 9_000_000 }),
        s3Record('chunks/v1/job-42/main/0000000002.log.gz', { eventName: 'ObjectCreated:Copy' }),
      ),
    );
    expect(result.kind === 'objects' && result.objects.map((o) => [o.key.slice(-17), o.size])).toEqual([
      ['0000000000.log.gz', 1024],
      ['0000000001.log.gz', 9_000_000],
      ['0000000002.log.gz', 1024],
    ]);
  });

  it('counts ObjectRemoved and other non-create events as ignored', () => {
    const result = parseChunkNotification(
      body(
        s3Record('chunks/v1/job-42/main/0000000000.log.gz', { eventName: 'ObjectRemoved:Delete' }),
        s3Record('chunks/v1/job-42/main/0000000001.log.gz'),
        s3Record('chunks/v1/job-42/main/0000000002.log.gz', { eventName: 'ObjectRemoved:DeleteMarkerCreated' }),
        s3Record('chunks/v1/job-42/main/0000000003.log.gz', { eventName: 'ObjectRestore:Completed' }),
      ),
    );
    expect(result).toMatchObject({ kind: 'objects', ignored: 3, objects: [{ key: 'chunks/v1/job-42/main/0000000001.log.gz' }] });
  });

  it('recognises the s3:TestEvent sent when the notification is configured', () => {
    expect(parseChunkNotification(TEST_EVENT)).toEqual({ kind: 'test' });
  });

  it('unwraps an SNS envelope around an S3 notification', () => {
    const result = parseChunkNotification(snsEnvelope(body(s3Record('chunks/v1/job-42/main/0000000000.log.gz'))));
    expect(result).toMatchObject({ kind: 'objects', objects: [{ bucket: 'joblogs-logs-prod' }] });
  });

  it('unwraps an SNS envelope around a test event', () => {
    expect(parseChunkNotification(snsEnvelope(TEST_EVENT))).toEqual({ kind: 'test' });
  });

  it('leaves size and event time undefined when S3 did not send them', () => {
    const record = s3Record('chunks/v1/j/s/0.log.gz');
    delete record['eventTime'];
    delete (record['s3'] as { object: Json }).object['size'];
    expect(parseChunkNotification(body(record))).toMatchObject({ objects: [{ eventTime: undefined, size: undefined }] });
  });

  it('reads an empty Records array as no objects', () => {
    expect(parseChunkNotification('{"Records":[]}')).toEqual({ kind: 'objects', objects: [], ignored: 0 });
  });

  it('refuses a body that is not JSON, keeping the parse error as cause', () => {
    const error = malformed('{"Records":[');
    expect(error.code).toBe('MALFORMED_MESSAGE');
    expect(error.message).toBe('SQS message body is not JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.details).toEqual({ body: '{"Records":[' });
  });

  it('keeps at most 512 characters of a bad body in the details', () => {
    expect((malformed('x'.repeat(10_000)).details['body'] as string).length).toBe(512);
  });

  it.each(['null', '[]', '"text"', '42'])('refuses a JSON body %s that is not an object', (text) => {
    expect(malformed(text).message).toBe('SQS message body is not a JSON object');
  });

  it('refuses an object that is not an S3 notification', () => {
    expect(malformed('{"detail-type":"Object Created","source":"aws.s3"}').message).toMatch(/no "Records" array/);
    expect(malformed('{"Records":{}}').message).toMatch(/no "Records" array/);
  });

  it('refuses an SNS envelope whose Message is not JSON', () => {
    expect(malformed(snsEnvelope('not json')).message).toBe('SNS Message is not JSON');
  });

  it('refuses a record from another service, naming its index', () => {
    const foreign = { ...s3Record('k'), eventSource: 'aws:sqs' };
    const error = malformed(body(s3Record('chunks/v1/j/s/0.log.gz'), foreign));
    expect(error.message).toBe('S3 event record 1 is not an aws:s3 event');
    expect(error.details).toEqual({ index: 1 });
    expect(malformed('{"Records":[null]}').message).toMatch(/record 0/);
  });

  it('refuses a created-object record without bucket or key', () => {
    expect(malformed(body(s3Record(''))).message).toBe('S3 event record 0 has no bucket name or object key');
    const noBucket = s3Record('chunks/v1/j/s/0.log.gz');
    delete (noBucket['s3'] as Json)['bucket'];
    expect(malformed(body(noBucket)).message).toMatch(/no bucket name/);
  });

  it('refuses a badly URL-encoded key, keeping the decoding error as cause', () => {
    const error = malformed(body(s3Record('chunks/v1/j/s/%E0%A4%A.log.gz')));
    expect(error.message).toBe('S3 event record 0 has a badly URL-encoded key');
    expect(error.cause).toBeInstanceOf(URIError);
    expect(error.details).toEqual({ key: 'chunks/v1/j/s/%E0%A4%A.log.gz' });
  });
});
