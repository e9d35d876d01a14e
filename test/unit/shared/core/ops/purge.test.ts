import { describe, expect, it } from 'vitest';
import { nothingLeft, purgeAudit, purgeAuditKey, purgeCounts, type PurgePlan } from '../../../../../shared/core/ops/index.js';

const empty: PurgePlan = {
  jobId: 'job-1',
  registration: [],
  markers: [],
  chunks: [],
  download: [],
  uploads: [],
  checkpoints: [],
  deadLetters: [],
  documents: 0,
  chunkRecords: 0,
};
const plan: PurgePlan = {
  ...empty,
  registration: [{ key: 'registry/v1/job-1.json', versionId: 'v1', size: 100 }],
  chunks: [
    { key: 'chunks/v1/job-1/main/0000000000.log.gz', versionId: 'a', size: 1000 },
    { key: 'chunks/v1/job-1/main/0000000000.log.gz', versionId: 'b', size: 900 },
  ],
  uploads: [{ key: 'downloads/job-1.log.gz', uploadId: 'u' }],
  documents: 42,
  chunkRecords: 1,
};

describe('purge plan and audit', () => {
  it('counts object versions, bytes, uploads and documents, and knows when nothing is left', () => {
    expect(purgeCounts(plan)).toEqual({
      objects: { registration: 1, download: 0, markers: 0, chunks: 2, checkpoints: 0, deadLetters: 0 },
      bytes: 2000,
      uploads: 1,
      documents: 42,
      chunkRecords: 1,
    });
    expect(nothingLeft(plan)).toBe(false);
    expect(nothingLeft(empty)).toBe(true);
  });

  it('records who removed what, when and why — keys once each and counts, nothing of the logs', () => {
    const audit = purgeAudit({ plan, left: empty, stage: 'prod', reason: 'INC-1', by: 'arn:aws:iam::1:user/op', at: new Date('2026-11-25T12:00:00Z') });
    expect(audit).toMatchObject({
      version: 1,
      jobId: 'job-1',
      stage: 'prod',
      reason: 'INC-1',
      by: 'arn:aws:iam::1:user/op',
      at: '2026-11-25T12:00:00.000Z',
      left: { documents: 0 },
    });
    expect(audit.keys.chunks).toEqual(['chunks/v1/job-1/main/0000000000.log.gz']);
    expect(purgeAuditKey('job-1', new Date('2026-11-25T12:00:00.123Z'))).toBe('audit/purge/2026/11/25/job-1-2026-11-25T120000123Z.json');
  });
});
