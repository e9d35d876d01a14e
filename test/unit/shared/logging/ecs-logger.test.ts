import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../../../shared/core/ingest/index.js';
import { createEcsLogger, createServiceLogger, microsecondTimestamp } from '../../../../shared/logging/index.js';
import { ShipperOptionsError } from '../../../../shared/shipper/index.js';
import { continueTrace, withTrace } from '../../../../shared/trace/index.js';
import { fakeS3 } from '../shipper/fake-s3.js';
import { jsonLines, TRACE, TRACEPARENT } from '../trace/support.js';

describe('createEcsLogger', () => {
  it('writes ECS lines stamped with the current trace, span and request id', () => {
    const out = jsonLines();
    const logger = createEcsLogger({ service: 'signer', destination: out.stream });
    const trace = continueTrace({ traceparent: TRACEPARENT, requestId: 'req-1' });
    withTrace(trace, () => logger.info({ key: 'a/b' }, 'url signed'));
    expect(out.lines[0]).toMatchObject({
      'log.level': 'info',
      message: 'url signed',
      'service.name': 'signer',
      'event.dataset': 'mlplatform.service',
      'ecs.version': expect.any(String),
      'trace.id': TRACE,
      'span.id': trace.spanId,
      'http.request.id': 'req-1',
      key: 'a/b',
    });
    expect(out.lines[0]!['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('writes no trace fields outside any trace', () => {
    const out = jsonLines();
    createEcsLogger({ service: 'signer', destination: out.stream }).warn('starting');
    expect(Object.keys(out.lines[0]!).filter((k) => k.startsWith('trace') || k.startsWith('span'))).toEqual([]);
  });

  it('turns an error into ECS error fields', () => {
    const out = jsonLines();
    createEcsLogger({ service: 'signer', destination: out.stream }).error({ err: new TypeError('bad key') }, 'failed');
    expect(out.lines[0]!['error']).toMatchObject({ type: 'TypeError', message: 'bad key', stack_trace: expect.stringContaining('TypeError: bad key') });
  });

  it('writes lines the indexer reads back with their trace, time and level', () => {
    const out = jsonLines();
    const logger = createEcsLogger({ service: 'api', destination: out.stream });
    withTrace(continueTrace({ traceparent: TRACEPARENT }), () => logger.warn('slow upstream'));
    const parsed = parseLogLine(JSON.stringify(out.lines[0]));
    expect(parsed).toMatchObject({ message: 'slow upstream', level: 'warn', traceId: TRACE, service: 'api' });
    expect(parsed.timestamp).toBeDefined();
  });
});

describe('microsecondTimestamp', () => {
  it('keeps microseconds of a fractional epoch-millisecond time', () => {
    expect(microsecondTimestamp(Date.UTC(2026, 10, 25, 10, 0, 0, 123) + 0.4567)).toBe('2026-11-25T10:00:00.123456Z');
    expect(microsecondTimestamp(Date.UTC(2026, 10, 25, 10, 0, 0, 0))).toBe('2026-11-25T10:00:00.000000Z');
  });
});

describe('createServiceLogger', () => {
  let spoolDir: string;
  beforeEach(() => {
    spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-service-logger-'));
  });
  afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

  it('writes every line to stdout and ships the same lines as dataset mlplatform.service', async () => {
    const s3 = fakeS3();
    const stdout = jsonLines();
    const { logger, close } = createServiceLogger({
      service: 'api',
      instance: 'api-7f9c',
      bucket: 'joblogs-test',
      spoolDir,
      s3: s3.client,
      stdout: stdout.stream,
    });
    withTrace(continueTrace({ traceparent: TRACEPARENT }), () => logger.info('train requested'));
    logger.info('idle');
    const summary = await close();

    const shipped = s3.objects.flatMap((o) => o.frames.map((f) => JSON.parse(f.bytes.toString())));
    expect(shipped).toEqual(stdout.lines);
    expect(shipped.map((l) => l.message)).toEqual(['train requested', 'idle']);
    expect(shipped[0]['trace.id']).toBe(TRACE);
    expect(s3.objects[0]!.key).toMatch(/^chunks\/v1\/api-7f9c\/api\/\d{10}\.log\.gz$/);
    // No chunk-level traceparent: a service's chunk holds many traces, each line names its own.
    expect(s3.objects.at(-1)!.metadata).toMatchObject({ dataset: 'mlplatform.service', service: 'api', final: 'true' });
    expect(s3.objects.every((o) => o.metadata['traceparent'] === undefined)).toBe(true);
    expect(summary).toMatchObject({ lines: 2, pending: 0 });
  });

  it('refuses bad shipping options at once, listing every problem', () => {
    const create = () => createServiceLogger({ service: 'api', instance: '../x', bucket: 'No_Such', spoolDir, s3: fakeS3().client });
    expect(create).toThrow(ShipperOptionsError);
    expect(create).toThrow(/jobId.*\n?.*bucket|bucket.*jobId/s);
  });
});
