import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../../../../../shared/core/errors.js';
import { parseAssembleMessage } from '../../../../../shared/core/download/index.js';

const s3Event = (key: string) =>
  JSON.stringify({
    Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: encodeURIComponent(key), size: 10 } } }],
  });

describe('parseAssembleMessage', () => {
  it('reads a job marker notification as a request for that job', () => {
    expect(parseAssembleMessage(s3Event('jobs/v1/job-42/rank-0/final.json'))).toEqual({ kind: 'requests', requests: [{ jobId: 'job-42' }] });
  });

  it('knows the S3 test event', () => {
    expect(parseAssembleMessage(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }))).toEqual({ kind: 'test' });
  });

  it('reads the pipeline’s own requests: on demand, recheck, continuation', () => {
    expect(parseAssembleMessage(JSON.stringify({ jobId: 'job-1', partial: true }))).toEqual({
      kind: 'requests',
      requests: [{ jobId: 'job-1', partial: true }],
    });
    expect(parseAssembleMessage(JSON.stringify({ jobId: 'job-1', recheck: 2 }))).toEqual({ kind: 'requests', requests: [{ jobId: 'job-1', recheck: 2 }] });
    const continuation = {
      upload: { uploadId: 'u', parts: [{ PartNumber: 1, ETag: '"e"' }] },
      cursor: { main: { seq: 3, index: 7, time: 1 }, other: null },
      lines: 10,
      gaps: 0,
      invocations: 2,
    };
    expect(parseAssembleMessage(JSON.stringify({ jobId: 'job-1', continuation }))).toEqual({ kind: 'requests', requests: [{ jobId: 'job-1', continuation }] });
    const archiveContinuation = { uploadId: 'u', invocation: 3 };
    expect(parseAssembleMessage(JSON.stringify({ jobId: 'job-1', archive: true, archiveContinuation }))).toEqual({
      kind: 'requests',
      requests: [{ jobId: 'job-1', archive: true, archiveContinuation }],
    });
  });

  it.each([
    ['not JSON', 'nope', 'not JSON'],
    ['a traversal-shaped job id', JSON.stringify({ jobId: '../../etc' }), 'invalid job id'],
    ['no job id', JSON.stringify({ partial: true }), 'jobId'],
    [
      'a continuation without parts',
      JSON.stringify({ jobId: 'j', continuation: { upload: { uploadId: 'u', parts: [] }, cursor: {}, lines: 0, gaps: 0, invocations: 1 } }),
      'parts',
    ],
    [
      'an archive continuation of a download request',
      JSON.stringify({ jobId: 'j', archiveContinuation: { uploadId: 'u', invocation: 2 } }),
      'needs archive: true',
    ],
    ['an archive continuation without its upload', JSON.stringify({ jobId: 'j', archive: true, archiveContinuation: { invocation: 2 } }), 'uploadId'],
  ])('rejects %s with a clear reason', (_what, body, why) => {
    expect(() => parseAssembleMessage(body)).toThrow(MalformedMessageError);
    expect(() => parseAssembleMessage(body)).toThrow(why);
  });

  it('rejects a notification for a key that is not a job marker', () => {
    expect(() => parseAssembleMessage(s3Event('jobs/v1/job-1/x/y.json'))).toThrow('is not a job marker');
  });
});
