import { describe, expect, it } from 'vitest';
import {
  ChunkKeyError,
  CorruptGzipError,
  describeError,
  MalformedMessageError,
  NotGzipError,
  SearchUnavailableError,
} from '../../../../../shared/core/errors.js';
import { deadLetterJobPrefix, deadLetterKey, deadLetterReport, jobOfDeadLetterKey } from '../../../../../shared/core/batch/index.js';

const AT = new Date('2026-11-25T10:00:05.123Z');
const KEY = 'chunks/v1/job-42/main/0000000003.log.gz';

describe('deadLetterReport', () => {
  it('records reason, code, time, message and object of a failed chunk', () => {
    const error = new NotGzipError('Object is not gzip (starts with 0x68656c6c)', { details: { size: 12 } });
    expect(deadLetterReport(error, { messageId: 'm-1', bucket: 'joblogs-logs-prod', key: KEY }, AT)).toEqual({
      reason: 'Object is not gzip (starts with 0x68656c6c)',
      code: 'NOT_GZIP',
      at: '2026-11-25T10:00:05.123Z',
      messageId: 'm-1',
      bucket: 'joblogs-logs-prod',
      key: KEY,
      details: { size: 12 },
    });
  });

  it('leaves out bucket and key for a message that named no object', () => {
    const report = deadLetterReport(new MalformedMessageError('SQS message body is not JSON'), { messageId: 'm-2' }, AT);
    expect(report).not.toHaveProperty('bucket');
    expect(report).not.toHaveProperty('key');
    expect(report.details).toEqual({});
  });

  it('keeps the details the error carried, such as the layout a key was expected to follow', () => {
    const details = { key: 'uploads/report.pdf', expected: 'chunks/v1/<jobId>/<source>/<seq>.log.gz' };
    expect(deadLetterReport(new ChunkKeyError('bad key', { details }), { messageId: 'm' }, AT).details).toEqual(details);
  });

  it('is plain JSON', () => {
    const report = deadLetterReport(new CorruptGzipError('truncated', { cause: new Error('unexpected end of file') }), { messageId: 'm' }, AT);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('deadLetterKey', () => {
  const objectReport = { at: AT.toISOString(), messageId: 'm-1', bucket: 'joblogs-logs-prod', key: KEY, code: 'NOT_GZIP' };

  it('files the report of a known job under the job, then by day and code', () => {
    const key = deadLetterKey('dead-letter/indexer/', { ...objectReport, details: { jobId: 'job-42' } });
    expect(key).toMatch(/^dead-letter\/indexer\/job\/job-42\/2026\/11\/25\/not_gzip\/[0-9a-f]{32}\.json$/);
    expect(key.startsWith(deadLetterJobPrefix('dead-letter/indexer/', 'job-42'))).toBe(true);
    expect(jobOfDeadLetterKey('dead-letter/indexer/', key)).toBe('job-42');
    expect(jobOfDeadLetterKey('dead-letter/indexer/', deadLetterKey('dead-letter/indexer/', objectReport))).toBeUndefined();
    // A job id that is not one cannot choose where a report goes.
    expect(deadLetterKey('dl/', { ...objectReport, details: { jobId: '../x' } })).toMatch(/^dl\/2026\//);
  });

  it('files the report by day and code under the prefix when its job is unknown', () => {
    expect(deadLetterKey('dead-letter/indexer/', objectReport)).toMatch(/^dead-letter\/indexer\/2026\/11\/25\/not_gzip\/[0-9a-f]{32}\.json$/);
  });

  it('gives a redelivered failure of the same object the same key, so it overwrites its report', () => {
    const again = { ...objectReport, messageId: 'm-99', at: '2026-11-25T23:59:59.999Z' };
    expect(deadLetterKey('dl/', again)).toBe(deadLetterKey('dl/', objectReport));
  });

  it('gives another object, bucket or failure code another key', () => {
    const keys = new Set([
      deadLetterKey('dl/', objectReport),
      deadLetterKey('dl/', { ...objectReport, key: 'chunks/v1/job-42/main/0000000004.log.gz' }),
      deadLetterKey('dl/', { ...objectReport, bucket: 'joblogs-logs-dev' }),
      deadLetterKey('dl/', { ...objectReport, code: 'CORRUPT_GZIP' }),
    ]);
    expect(keys.size).toBe(4);
  });

  it('keys a message failure by message id', () => {
    const a = deadLetterKey('dl/', { at: AT.toISOString(), messageId: 'm-1', code: 'MALFORMED_MESSAGE' });
    const b = deadLetterKey('dl/', { at: AT.toISOString(), messageId: 'm-2', code: 'MALFORMED_MESSAGE' });
    expect(a).toMatch(/^dl\/2026\/11\/25\/malformed_message\//);
    expect(a).not.toBe(b);
    expect(deadLetterKey('dl/', { at: AT.toISOString(), messageId: 'm-1', code: 'MALFORMED_MESSAGE' })).toBe(a);
  });
});

describe('describeError', () => {
  it('gives the code of a joblogs error and UNEXPECTED for anything else', () => {
    expect(describeError(new SearchUnavailableError('es down'))).toEqual({ code: 'SEARCH_UNAVAILABLE', message: 'es down' });
    expect(describeError(new TypeError('x is undefined'))).toEqual({ code: 'UNEXPECTED', message: 'x is undefined' });
    expect(describeError('thrown string')).toEqual({ code: 'UNEXPECTED', message: 'thrown string' });
  });
});
