import { describe, expect, it } from 'vitest';
import { BatchSettlement, type DeadLetterReport } from '../../../../../shared/core/batch/index.js';
import { DocumentsRejectedError, NotGzipError, StorageUnavailableError } from '../../../../../shared/core/errors.js';

function settlement(o: { failWrites?: boolean } = {}) {
  const reports: DeadLetterReport[] = [];
  const logs: Array<{ level: string; fields: any; message: string }> = [];
  const batch = new BatchSettlement({
    deadLetters: {
      write: async (report) => {
        if (o.failWrites) throw new StorageUnavailableError('SlowDown');
        reports.push(report);
        return `dead-letter/${report.code}/${report.messageId}.json`;
      },
    },
    log: {
      warn: (fields, message) => logs.push({ level: 'warn', fields, message }),
      error: (fields, message) => logs.push({ level: 'error', fields, message }),
    },
    now: () => Date.parse('2026-11-25T10:00:00.000Z'),
  });
  return { batch, reports, logs };
}

describe('BatchSettlement', () => {
  it('acknowledges work that succeeds', async () => {
    const { batch } = settlement();
    expect(await batch.settle({ messageIds: ['m1'] }, async () => undefined)).toBe(true);
    expect(batch.response()).toEqual({ batchItemFailures: [] });
  });

  it('dead-letters a permanent failure with its reason and where it happened, and acknowledges the message', async () => {
    const { batch, reports, logs } = settlement();
    const ok = await batch.settle({ messageIds: ['m1'], bucket: 'b', key: 'chunks/v1/j/main/0000000000.log.gz' }, async () => {
      throw new NotGzipError('Object is not gzip');
    });
    expect(ok).toBe(true);
    expect(batch.response()).toEqual({ batchItemFailures: [] });
    expect(reports).toEqual([
      expect.objectContaining({
        code: 'NOT_GZIP',
        reason: 'Object is not gzip',
        messageId: 'm1',
        bucket: 'b',
        key: 'chunks/v1/j/main/0000000000.log.gz',
        at: '2026-11-25T10:00:00.000Z',
      }),
    ]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'permanent failure sent to the dead-letter path',
        fields: expect.objectContaining({ deadLetter: 'dead-letter/NOT_GZIP/m1.json' }),
      }),
    ]);
    expect(batch.deadLettered).toBe(1);
  });

  it('writes one report per message when several messages asked for the failed work, with the job in the details', async () => {
    const { batch, reports } = settlement();
    await batch.settle({ messageIds: ['a', 'b'], jobId: 'job-1' }, async () => {
      throw new NotGzipError('bad');
    });
    expect(reports.map((r) => [r.messageId, r.details['jobId']])).toEqual([
      ['a', 'job-1'],
      ['b', 'job-1'],
    ]);
  });

  it('hands transient and unclassified failures back to SQS, and only their messages', async () => {
    const { batch, logs } = settlement();
    await batch.settle({ messageIds: ['m1', 'm2'] }, async () => {
      throw new StorageUnavailableError('SlowDown');
    });
    await batch.settle({ messageIds: ['m3'] }, async () => {
      throw new TypeError('undefined is not a function');
    });
    await batch.settle({ messageIds: ['m4'] }, async () => undefined);
    expect(batch.response().batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2', 'm3']);
    expect(batch.willRetry('m3')).toBe(true);
    expect(batch.willRetry('m4')).toBe(false);
    expect(logs.map((l) => [l.message, l.fields.error.code])).toEqual([
      ['will be retried', 'STORAGE_UNAVAILABLE'],
      ['will be retried', 'UNEXPECTED'],
    ]);
  });

  it('hands a permanent failure back when its report cannot be written: nothing is acknowledged unrecorded', async () => {
    const { batch } = settlement({ failWrites: true });
    expect(
      await batch.settle({ messageIds: ['m1'] }, async () => {
        throw new NotGzipError('bad');
      }),
    ).toBe(false);
    expect(batch.response()).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(batch.deadLettered).toBe(0);
    expect(batch.failed).toBe(1);
  });

  it('puts the refused documents of a DocumentsRejectedError into the report as typed evidence', async () => {
    const { batch, reports } = settlement();
    const rejected = [{ id: 'id-1', status: 400, type: 'document_parsing_exception', reason: 'failed to parse', document: { message: 'x' } }];
    await batch.settle({ messageIds: ['m1'] }, async () => {
      throw new DocumentsRejectedError('Elasticsearch rejected 1 document(s)', { rejected, rejectedCount: 1 });
    });
    expect(reports[0]).toMatchObject({ code: 'DOCUMENTS_REJECTED', details: {}, rejectedCount: 1, rejected });
  });
});
