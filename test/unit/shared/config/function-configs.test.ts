import { describe, expect, it } from 'vitest';
import { loadAssemblerConfig } from '../../../../shared/config/assembler-config.js';
import { loadIndexerConfig } from '../../../../shared/config/indexer-config.js';
import { loadLogsApiConfig } from '../../../../shared/config/logs-api-config.js';
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
      cluster: { kind: 'es-9', node: 'https://es.example.test:9243', auth: 'secret', region: undefined, requestTimeoutMs: 30_000 },
    });
  });

  it('takes the cluster kind, and IAM only for OpenSearch with a region (then no SSM parameter is read)', () => {
    const iam = { ...env, CLUSTER_KIND: 'opensearch-2', CLUSTER_AUTH: 'iam', AWS_REGION: 'eu-west-1', ES_CREDENTIALS_PARAM: '/joblogs/dev/es-credentials' };
    expect(loadIndexerConfig(iam)).toMatchObject({ cluster: { kind: 'opensearch-2', auth: 'iam', region: 'eu-west-1' }, esCredentialsParam: undefined });
    expect(loadIndexerConfig({ ...env, CLUSTER_KIND: 'es-8', ES_CREDENTIALS_PARAM: '/p' })).toMatchObject({
      cluster: { kind: 'es-8', auth: 'secret' },
      esCredentialsParam: '/p',
    });
    expect(badKeys(() => loadIndexerConfig({ ...iam, CLUSTER_KIND: 'es-9' }))).toEqual(['CLUSTER_AUTH']);
    expect(badKeys(() => loadIndexerConfig({ ...iam, AWS_REGION: undefined }))).toEqual(['AWS_REGION']);
    expect(badKeys(() => loadIndexerConfig({ ...env, CLUSTER_KIND: 'es-7', CLUSTER_AUTH: 'kerberos' }))).toEqual(['CLUSTER_KIND', 'CLUSTER_AUTH']);
  });

  it('lists every bad variable at once', () => {
    expect(
      badKeys(() =>
        loadIndexerConfig({
          ...env,
          STAGE: 'Dev!',
          ES_NODE: 'not a url',
          BULK_CONCURRENCY: '17',
          RECORD_CONCURRENCY: '0',
          DEFAULT_DATASET: 'other',
          S3_FORCE_PATH_STYLE: 'yes',
        }),
      ),
    ).toEqual(['STAGE', 'S3_FORCE_PATH_STYLE', 'ES_NODE', 'DEFAULT_DATASET', 'BULK_CONCURRENCY', 'RECORD_CONCURRENCY']);
  });
});

describe('loadAssemblerConfig', () => {
  const env = { STAGE: 'dev', LOG_BUCKET: 'joblogs-dev-logs', ASSEMBLE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-dev-assemble' };

  it('applies the documented defaults', () => {
    expect(loadAssemblerConfig(env)).toMatchObject({
      gapWaitMs: 300_000,
      gapRechecks: 4,
      partBytes: 8 * 1024 * 1024,
      memberBytes: 1024 * 1024,
      gzipLevel: 6,
      prefetchChunks: 16,
      deadlineHeadroomMs: 30_000,
    });
  });

  it('lists every bad variable at once', () => {
    expect(badKeys(() => loadAssemblerConfig({ ...env, LOG_BUCKET: 'x', ASSEMBLE_QUEUE_URL: undefined, PART_BYTES: '1024', GZIP_LEVEL: '10' }))).toEqual([
      'LOG_BUCKET',
      'ASSEMBLE_QUEUE_URL',
      'PART_BYTES',
      'GZIP_LEVEL',
    ]);
  });
});

describe('loadLogsApiConfig', () => {
  const env = {
    STAGE: 'dev',
    LOG_BUCKET: 'joblogs-dev-logs',
    ES_NODE: 'https://search-logs.eu-west-1.es.amazonaws.com',
    JWT_ISSUER: 'https://idp.example.test',
    JWT_AUDIENCE: 'joblogs-dev',
    UI_ORIGIN: 'https://ml.example.test',
  };

  it('reads the cluster as the indexer does, with its own (shorter) request timeout', () => {
    expect(
      loadLogsApiConfig({ ...env, CLUSTER_KIND: 'opensearch-2', CLUSTER_AUTH: 'iam', AWS_REGION: 'eu-west-1', ES_READER_CREDENTIALS_PARAM: '/r' }),
    ).toMatchObject({
      cluster: { kind: 'opensearch-2', node: env.ES_NODE, auth: 'iam', region: 'eu-west-1', requestTimeoutMs: 5_000 },
      esReaderCredentialsParam: undefined,
    });
    expect(badKeys(() => loadLogsApiConfig({ ...env, CLUSTER_AUTH: 'iam' }))).toEqual(['CLUSTER_AUTH', 'AWS_REGION']);
  });
});
