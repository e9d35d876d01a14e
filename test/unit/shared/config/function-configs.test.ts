import { describe, expect, it } from 'vitest';
import { loadAssemblerConfig } from '../../../../shared/config/assembler-config.js';
import { loadIndexerConfig } from '../../../../shared/config/indexer-config.js';
import { ConfigError } from '../../../../shared/core/errors.js';

/** The variable names a ConfigError lists, in order. */
function badKeys(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).kind).toBe('permanent');
    return (error as ConfigError).problems.map((p) => p.split(':')[0]!);
  }
  return expect.unreachable('the configuration was accepted');
}

describe('loadIndexerConfig', () => {
  const env = { STAGE: 'dev', LOG_BUCKET: 'joblogs-dev-logs', ES_NODE: 'https://es.example.test:9243' };

  it('applies the documented defaults', () => {
    expect(loadIndexerConfig(env)).toMatchObject({
      stage: 'dev',
      chunkPrefix: 'chunks/',
      deadLetterPrefix: 'dead-letter/indexer/',
      defaultDataset: 'mlplatform.job',
      maxLineBytes: 32 * 1024,
      bulk: { maxActions: 2000, maxBytes: 5 * 1024 * 1024, concurrency: 2 },
      recordConcurrency: 2,
      retry: { baseMs: 200, maxMs: 10_000 },
      deadlineHeadroomMs: 10_000,
      s3ForcePathStyle: false,
    });
  });

  it('lists every bad variable at once', () => {
    expect(badKeys(() => loadIndexerConfig({ ...env, STAGE: 'Dev!', ES_NODE: 'not a url', BULK_CONCURRENCY: '17', RECORD_CONCURRENCY: '0', DEFAULT_DATASET: 'other', S3_FORCE_PATH_STYLE: 'yes' }))).toEqual([
      'STAGE',
      'S3_FORCE_PATH_STYLE',
      'ES_NODE',
      'DEFAULT_DATASET',
      'BULK_CONCURRENCY',
      'RECORD_CONCURRENCY',
    ]);
  });
});

describe('loadAssemblerConfig', () => {
  const env = { STAGE: 'dev', LOG_BUCKET: 'joblogs-dev-logs', ASSEMBLE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-dev-assemble' };

  it('applies the documented defaults', () => {
    expect(loadAssemblerConfig(env)).toMatchObject({ gapWaitMs: 300_000, gapRechecks: 4, partBytes: 8 * 1024 * 1024, memberBytes: 1024 * 1024, gzipLevel: 6, prefetchChunks: 16, deadlineHeadroomMs: 30_000 });
  });

  it('lists every bad variable at once', () => {
    expect(badKeys(() => loadAssemblerConfig({ ...env, LOG_BUCKET: 'x', ASSEMBLE_QUEUE_URL: undefined, PART_BYTES: '1024', GZIP_LEVEL: '10' }))).toEqual(['LOG_BUCKET', 'ASSEMBLE_QUEUE_URL', 'PART_BYTES', 'GZIP_LEVEL']);
  });
});
