import { describe, expect, it } from 'vitest';
import { chunkKey, decodeEventKey, isValidJobId, MAX_CHUNK_SEQ, parseChunkKey } from '../../../../../shared/core/contract/index.js';
import { ChunkKeyError, isPermanent } from '../../../../../shared/core/errors.js';

function parseError(key: string, prefix?: string): ChunkKeyError {
  try {
    parseChunkKey(key, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ChunkKeyError);
    return error as ChunkKeyError;
  }
  throw new Error(`expected ${key} to be rejected`);
}

describe('chunkKey', () => {
  it('builds the contract layout with a 10-digit zero-padded sequence', () => {
    expect(chunkKey({ jobId: 'job-42', source: 'main', seq: 0 })).toBe('chunks/v1/job-42/main/0000000000.log.gz');
    expect(chunkKey({ jobId: 'job-42', source: 'rank-3', seq: 1234 })).toBe('chunks/v1/job-42/rank-3/0000001234.log.gz');
  });

  it('puts the key under another prefix when asked', () => {
    expect(chunkKey({ jobId: 'j', source: 's', seq: 7 }, 'test/chunks/')).toBe('test/chunks/v1/j/s/0000000007.log.gz');
  });

  it('accepts the largest sequence whose event.sequence stays exact', () => {
    expect(chunkKey({ jobId: 'j', source: 's', seq: MAX_CHUNK_SEQ })).toBe(`chunks/v1/j/s/${String(MAX_CHUNK_SEQ).padStart(10, '0')}.log.gz`);
  });

  it.each([
    [{ jobId: '', source: 'main', seq: 0 }, /job id/],
    [{ jobId: '.hidden', source: 'main', seq: 0 }, /job id/],
    [{ jobId: 'job/42', source: 'main', seq: 0 }, /job id/],
    [{ jobId: 'a'.repeat(129), source: 'main', seq: 0 }, /job id/],
    [{ jobId: 'job', source: '-main', seq: 0 }, /source/],
    [{ jobId: 'job', source: 's'.repeat(65), seq: 0 }, /source/],
    [{ jobId: 'job', source: 'main', seq: -1 }, /sequence/],
    [{ jobId: 'job', source: 'main', seq: 1.5 }, /sequence/],
    [{ jobId: 'job', source: 'main', seq: Number.NaN }, /sequence/],
    [{ jobId: 'job', source: 'main', seq: MAX_CHUNK_SEQ + 1 }, /sequence/],
  ])('refuses to build a key from %j', (parts, reason) => {
    expect(() => chunkKey(parts)).toThrow(ChunkKeyError);
    expect(() => chunkKey(parts)).toThrow(reason);
  });
});

describe('parseChunkKey', () => {
  it('reads job, source and sequence back from a key it built', () => {
    for (const parts of [
      { jobId: 'job-42', source: 'main', seq: 0 },
      { jobId: 'train_2026.11.25-a', source: 'worker-0', seq: 99 },
      { jobId: 'A'.repeat(128), source: 'S'.repeat(64), seq: MAX_CHUNK_SEQ },
    ]) {
      expect(parseChunkKey(chunkKey(parts))).toEqual(parts);
    }
  });

  it('accepts a sequence that is not zero-padded, as the smallest producer may write it', () => {
    expect(parseChunkKey('chunks/v1/job-42/main/7.log.gz')).toEqual({ jobId: 'job-42', source: 'main', seq: 7 });
  });

  it('reads keys under a custom prefix', () => {
    expect(parseChunkKey('ci/v1/job/main/0000000001.log.gz', 'ci/')).toEqual({ jobId: 'job', source: 'main', seq: 1 });
  });

  it.each([
    ['logs/v1/job/main/0000000000.log.gz', /does not start with chunks\//],
    ['chunks/v1/job/main/0000000000.log', /does not end with \.log\.gz/],
    ['chunks/v1/job/main/0000000000.gz', /does not end with \.log\.gz/],
    ['chunks/v2/job/main/0000000000.log.gz', /unknown contract version "v2"/],
    ['chunks/v1/job/0000000000.log.gz', /expected version\/jobId\/source\/seq/],
    ['chunks/v1/job/main/extra/0000000000.log.gz', /expected version\/jobId\/source\/seq/],
    ['chunks/.log.gz', /expected version\/jobId\/source\/seq/],
    ['chunks/v1/../main/0000000000.log.gz', /invalid job id "\.\."/],
    ['chunks/v1/.git/main/0000000000.log.gz', /invalid job id/],
    ['chunks/v1/job 42/main/0000000000.log.gz', /invalid job id "job 42"/],
    [`chunks/v1/${'a'.repeat(129)}/main/0000000000.log.gz`, /invalid job id/],
    [`chunks/v1/job/${'s'.repeat(65)}/0000000000.log.gz`, /invalid source/],
    ['chunks/v1/job/_main/0000000000.log.gz', /invalid source/],
    ['chunks/v1/job/main/.log.gz', /invalid sequence ""/],
    ['chunks/v1/job/main/00000000001.log.gz', /invalid sequence/],
    ['chunks/v1/job/main/12a.log.gz', /invalid sequence/],
    ['chunks/v1/job/main/-1.log.gz', /invalid sequence/],
    ['chunks/v1/job/main/9999999999.log.gz', /is above/],
  ])('rejects %s with a reason', (key, reason) => {
    const error = parseError(key);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(JSON.stringify(key));
  });

  it('rejects with a permanent, coded error carrying the key and the expected layout', () => {
    const error = parseError('uploads/report.pdf');
    expect(isPermanent(error)).toBe(true);
    expect(error.code).toBe('BAD_CHUNK_KEY');
    expect(error.details).toEqual({ key: 'uploads/report.pdf', expected: 'chunks/v1/<jobId>/<source>/<seq>.log.gz' });
  });

  it('rejects the sequence just above the largest one', () => {
    expect(parseError(`chunks/v1/j/s/${MAX_CHUNK_SEQ + 1}.log.gz`).message).toMatch(/above/);
  });
});

describe('isValidJobId', () => {
  it.each(['job-42', 'a', '0', 'run.2026-11-25_01', 'a..b', 'A'.repeat(128)])('accepts %s', (id) => {
    expect(isValidJobId(id)).toBe(true);
  });
  it.each(['', '.', '..', '...', '-job', '_job', 'job/1', 'job 1', 'jöb', 'A'.repeat(129)])('rejects %j', (id) => {
    expect(isValidJobId(id)).toBe(false);
  });
});

describe('decodeEventKey', () => {
  it('turns + into a space, as S3 notifications encode spaces', () => {
    expect(decodeEventKey('chunks/v1/my+job/main/0.log.gz')).toBe('chunks/v1/my job/main/0.log.gz');
  });

  it('decodes %2B to a literal plus and %2F to a slash', () => {
    expect(decodeEventKey('a%2Bb%2Fc')).toBe('a+b/c');
  });

  it('decodes percent-encoded UTF-8', () => {
    expect(decodeEventKey('caf%C3%A9%E2%82%AC')).toBe('café€');
  });

  it('leaves a plain key untouched', () => {
    expect(decodeEventKey('chunks/v1/job-42/main/0000000000.log.gz')).toBe('chunks/v1/job-42/main/0000000000.log.gz');
  });

  it('throws on a broken escape so the caller can classify it', () => {
    expect(() => decodeEventKey('chunks/%E0%A4%A')).toThrow(URIError);
    expect(() => decodeEventKey('100%')).toThrow(URIError);
  });
});
