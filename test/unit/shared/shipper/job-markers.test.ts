import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Shipper } from '../../../../shared/shipper/index.js';
import { fakeS3 } from './fake-s3.js';

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-spool-'));
});
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

const options = (s3: ReturnType<typeof fakeS3>) => ({
  jobId: 'job-7',
  source: 'rank-1',
  bucket: 'joblogs-test',
  spoolDir,
  s3: s3.client,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  retryBaseMs: 1,
  retryMaxMs: 5,
});

describe('job markers', () => {
  it('writes each marker once: a restarted shipper leaves the running marker there as it is', async () => {
    const s3 = fakeS3();
    s3.occupy('jobs/v1/job-7/rank-1/running.json');
    const shipper = await Shipper.open(options(s3));
    shipper.write('stdout', Buffer.from('hello\n'));
    await shipper.close({ exitCode: 0 });
    expect(s3.markers.map((m) => m.key)).toEqual(['jobs/v1/job-7/rank-1/final.json']);
  });

  it('marks the source running when it opens and final (with exit code, line count and last chunk) once the final chunk is uploaded', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open({ ...options(s3), maxChunkBytes: 1024 });
    for (let i = 0; i < 100; i++) shipper.write('stdout', Buffer.from(`line ${i} ${'x'.repeat(40)}\n`));
    await shipper.close({ exitCode: 3 });

    expect(s3.markers.map((m) => m.key)).toEqual(['jobs/v1/job-7/rank-1/running.json', 'jobs/v1/job-7/rank-1/final.json']);
    const [running, final] = s3.markers.map((m) => m.marker);
    expect(running).toMatchObject({ status: 'running', jobId: 'job-7', source: 'rank-1' });
    expect(running).not.toHaveProperty('owner');
    const lastSeq = Number(s3.objects.at(-1)!.key.match(/(\d+)\.log\.gz$/)![1]);
    expect(lastSeq).toBeGreaterThan(0);
    expect(final).toMatchObject({ status: 'final', exitCode: 3, lineCount: 100, lastSeq, droppedLines: 0, traceparent: options(s3).traceparent });
    expect(Date.parse(final!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(final!.startedAt));
  });

  it('writes the final marker only after S3 comes back, never a running marker after it', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const shipper = await Shipper.open(options(s3));
    shipper.write('stderr', Buffer.from('boom\n'));
    const closing = shipper.close({ signal: 'SIGTERM' });
    await new Promise((r) => setTimeout(r, 50));
    expect(s3.markers).toEqual([]);
    s3.setDown(false);
    await closing;
    expect(s3.markers.at(-1)!.marker).toMatchObject({ status: 'final', signal: 'SIGTERM', lineCount: 1 });
    expect(s3.markers.filter((m) => m.marker.status === 'running').length).toBeLessThanOrEqual(1);
    expect(s3.markers.findIndex((m) => m.marker.status === 'final')).toBe(s3.markers.length - 1);
  });
});
