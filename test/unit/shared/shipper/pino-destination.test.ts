import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shipperDestination } from '../../../../shared/shipper/index.js';
import { fakeS3 } from './fake-s3.js';

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-pino-'));
});
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

describe('shipperDestination', () => {
  it("ships a pino logger's lines and writes the final chunk when it ends", async () => {
    const s3 = fakeS3();
    const destination = shipperDestination({ jobId: 'api-1', source: 'api', bucket: 'joblogs-test', spoolDir, s3: s3.client, dataset: 'mlplatform.service' });
    const logger = pino({ base: undefined, timestamp: false }, destination);
    logger.info({ route: '/health' }, 'ok');
    logger.error('boom');
    destination.end();
    await once(destination, 'finish');

    const frames = s3.objects.flatMap((o) => o.frames);
    expect(frames.map((f) => JSON.parse(f.bytes.toString()))).toEqual([
      { level: 30, route: '/health', msg: 'ok' },
      { level: 50, msg: 'boom' },
    ]);
    expect(s3.objects.at(-1)!.key).toMatch(/^chunks\/v1\/api-1\/api\/\d{10}\.log\.gz$/);
    expect(s3.objects.at(-1)!.metadata).toMatchObject({ final: 'true', dataset: 'mlplatform.service', 'line-count': '2' });
    expect(destination.summary).toMatchObject({ lines: 2, pending: 0 });
  });

  it('fails the stream, not the process, when the options are invalid', async () => {
    const destination = shipperDestination({ jobId: '', bucket: 'joblogs-test', spoolDir, s3: fakeS3().client });
    const [error] = await once(destination, 'error');
    expect((error as Error).name).toBe('ShipperOptionsError');
  });
});
