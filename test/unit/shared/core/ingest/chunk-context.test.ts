import { describe, expect, it } from 'vitest';
import { ChunkKeyError, ChunkMetadataError, isPermanent } from '../../../../../shared/core/errors.js';
import { describeChunk, documentId, documentIdPrefix, type ChunkDefaults, type ChunkSource } from '../../../../../shared/core/ingest/index.js';

const KEY = 'chunks/v1/job-42/rank-3/0000000007.log.gz';
const EVENT_TIME = '2026-11-25T10:00:05.123Z';

function defaults(overrides: Partial<ChunkDefaults> = {}): ChunkDefaults {
  return {
    stage: 'prod',
    defaultDataset: 'mlplatform.job',
    chunkPrefix: 'chunks/',
    now: () => Date.UTC(2026, 10, 25, 12, 0, 0),
    ...overrides,
  };
}

function source(metadata: Record<string, string | undefined> = {}, overrides: Partial<ChunkSource> = {}): ChunkSource {
  return { bucket: 'joblogs-logs-prod', key: KEY, metadata, eventTime: EVENT_TIME, ...overrides };
}

function metadataError(src: ChunkSource): ChunkMetadataError {
  try {
    describeChunk(src, defaults());
  } catch (error) {
    expect(error).toBeInstanceOf(ChunkMetadataError);
    return error as ChunkMetadataError;
  }
  throw new Error('expected the chunk to be refused');
}

describe('describeChunk', () => {
  it('reads a chunk with no metadata: default dataset, lines format, stdout, S3 event time', () => {
    const chunk = describeChunk(source(), defaults());
    expect(chunk).toEqual({
      bucket: 'joblogs-logs-prod',
      key: KEY,
      jobId: 'job-42',
      source: 'rank-3',
      seq: 7,
      stage: 'prod',
      dataset: 'mlplatform.job',
      dataStream: 'logs-mlplatform.job-prod',
      format: 'lines',
      stream: 'stdout',
      chunkTime: { iso: EVENT_TIME, ms: Date.parse(EVENT_TIME) },
      idPrefix: documentIdPrefix('joblogs-logs-prod', KEY),
      multiline: { marked: false, openLanes: [] },
      jsonTerms: false,
    });
  });

  it("writes user JSON's json_kv terms only for a cluster that searches them so", () => {
    expect(describeChunk(source(), { ...defaults(), userJson: 'terms' }).jsonTerms).toBe(true);
    expect(describeChunk(source(), { ...defaults(), userJson: 'flattened' }).jsonTerms).toBe(false);
  });

  it('lifts every documented metadata field written by the joblogs shipper', () => {
    const chunk = describeChunk(
      source({
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        dataset: 'mlplatform.service',
        service: 'trainer',
        producer: 'joblogs-shipper/0.1.0',
        host: 'ip-10-0-0-1',
        'container-id': '3f2a9c0d1e2b',
        stream: 'stderr',
        'chunk-start': '2026-11-25T10:00:00.000Z',
        format: 'framed-v1',
        owner: 'alice',
        team: 'vision',
        final: 'true',
        'exit-code': '0',
        'line-count': '1200',
      }),
      defaults(),
    );
    expect(chunk).toMatchObject({
      dataset: 'mlplatform.service',
      dataStream: 'logs-mlplatform.service-prod',
      format: 'framed-v1',
      stream: 'stderr',
      chunkTime: { iso: '2026-11-25T10:00:00.000Z', ms: Date.UTC(2026, 10, 25, 10) },
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
      service: 'trainer',
      producer: 'joblogs-shipper/0.1.0',
      host: 'ip-10-0-0-1',
      containerId: '3f2a9c0d1e2b',
    });
    // Owner and team in chunk metadata are a producer's claim: never indexed, never trusted.
    expect(chunk).not.toHaveProperty('owner');
    expect(chunk).not.toHaveProperty('team');
  });

  it('prefers chunk-start over the S3 event time', () => {
    const chunk = describeChunk(source({ 'chunk-start': '2026-11-25 09:59:00,250' }), defaults());
    expect(chunk.chunkTime).toEqual({ iso: '2026-11-25T09:59:00.250Z', ms: Date.UTC(2026, 10, 25, 9, 59, 0, 250) });
  });

  it('ignores an unparsable chunk-start and uses the event time', () => {
    const chunk = describeChunk(source({ 'chunk-start': 'this morning' }), defaults());
    expect(chunk.chunkTime.iso).toBe(EVENT_TIME);
  });

  it('falls back to the clock, read once, when neither chunk-start nor the event time is usable', () => {
    let clock = Date.UTC(2026, 10, 25, 12, 0, 0, 0);
    const now = () => clock++;
    const chunk = describeChunk(source({}, { eventTime: undefined }), defaults({ now }));
    expect(chunk.chunkTime.ms).toBe(Date.parse(chunk.chunkTime.iso));
    expect(chunk.chunkTime.iso).toBe('2026-11-25T12:00:00.000Z');
  });

  it('ignores a malformed traceparent instead of failing the chunk', () => {
    const chunk = describeChunk(source({ traceparent: '00-xyz-00f067aa0ba902b7-01' }), defaults());
    expect(chunk.trace).toBeUndefined();
    expect(chunk).not.toHaveProperty('trace');
  });

  it('accepts a bare trace-id when there is no traceparent', () => {
    const chunk = describeChunk(source({ 'trace-id': '4BF92F3577B34DA6A3CE929D0E0E4736' }), defaults());
    expect(chunk.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it('trims the dataset and uses the default for a blank one', () => {
    expect(describeChunk(source({ dataset: ' mlplatform.job_eval ' }), defaults()).dataset).toBe('mlplatform.job_eval');
    expect(describeChunk(source({ dataset: '   ' }), defaults()).dataset).toBe('mlplatform.job');
  });

  it.each([
    'Mlplatform.job',
    'mlplatform',
    'mlplatform.',
    'logs.job',
    'mlplatform.job-x',
    'mlplatform.job*',
    'mlplatform.a.b.c.d',
    `mlplatform.${'a'.repeat(54)}`,
  ])('refuses the chunk when dataset %j would misroute its lines', (dataset) => {
    const error = metadataError(source({ dataset }));
    expect(isPermanent(error)).toBe(true);
    expect(error.code).toBe('BAD_CHUNK_METADATA');
    expect(error.message).toContain(JSON.stringify(dataset));
    expect(error.details).toEqual({ key: KEY });
  });

  it('accepts a dataset of exactly 64 characters', () => {
    const dataset = `mlplatform.${'a'.repeat(53)}`;
    expect(dataset).toHaveLength(64);
    expect(describeChunk(source({ dataset }), defaults()).dataset).toBe(dataset);
  });

  it('refuses an unknown body format', () => {
    expect(metadataError(source({ format: 'ndjson' })).message).toMatch(/"ndjson" is unknown/);
  });

  it('treats any stream other than stderr as stdout', () => {
    expect(describeChunk(source({ stream: 'stderr' }), defaults()).stream).toBe('stderr');
    expect(describeChunk(source({ stream: 'STDERR' }), defaults()).stream).toBe('stdout');
    expect(describeChunk(source({ stream: 'tty' }), defaults()).stream).toBe('stdout');
  });

  it('keeps short printable text metadata trimmed and drops what is not', () => {
    const chunk = describeChunk(source({ service: '  api  ', host: 'x'.repeat(257), owner: 'ali\u0007ce', team: '', producer: 'manual' }), defaults());
    expect(chunk.service).toBe('api');
    expect(chunk.producer).toBe('manual');
    expect(chunk).not.toHaveProperty('host');
    expect(chunk).not.toHaveProperty('owner');
    expect(chunk).not.toHaveProperty('team');
  });

  it('refuses a key outside the layout with a key error, before reading metadata', () => {
    expect(() => describeChunk(source({ dataset: 'bad!' }, { key: 'chunks/v1/job-42/main.log.gz' }), defaults())).toThrow(ChunkKeyError);
  });

  it('names its data stream after the stage', () => {
    expect(describeChunk(source(), defaults({ stage: 'dev' })).dataStream).toBe('logs-mlplatform.job-dev');
  });
});

describe('document ids', () => {
  it('gives the same line of the same chunk the same id, on every read', () => {
    const a = documentId(documentIdPrefix('joblogs-logs-prod', KEY), 12);
    const b = documentId(describeChunk(source(), defaults()).idPrefix, 12);
    expect(a).toBe(b);
  });

  it('is a short base64url prefix followed by the position', () => {
    const prefix = documentIdPrefix('joblogs-logs-prod', KEY);
    expect(prefix).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(documentId(prefix, 0)).toBe(`${prefix}-0`);
    expect(documentId(prefix, 9_999_999)).toBe(`${prefix}-${(9_999_999).toString(36)}`);
  });

  it('gives different chunks different prefixes', () => {
    const prefixes = new Set([
      documentIdPrefix('joblogs-logs-prod', KEY),
      documentIdPrefix('joblogs-logs-prod', 'chunks/v1/job-42/rank-3/0000000008.log.gz'),
      documentIdPrefix('joblogs-logs-prod', 'chunks/v1/job-43/rank-3/0000000007.log.gz'),
      documentIdPrefix('joblogs-logs-dev', KEY),
      documentIdPrefix('joblogs-logs-prod/chunks', 'v1/job-42/rank-3/0000000007.log.gz'),
    ]);
    expect(prefixes.size).toBe(5);
  });

  it('never repeats an id within a chunk', () => {
    const prefix = documentIdPrefix('b', KEY);
    const ids = new Set<string>();
    for (let position = 0; position < 200_000; position++) ids.add(documentId(prefix, position));
    expect(ids.size).toBe(200_000);
  });
});
