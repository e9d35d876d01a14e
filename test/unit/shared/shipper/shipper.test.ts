import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { reassembleStreams } from '../../../../shared/core/contract/index.js';
import { WatchDefaults } from '../../../../shared/core/watch/index.js';
import { PRODUCER, Shipper, ShipperOptionsError, SpoolLockedError, type ShipperEvent, type ShipperOptions } from '../../../../shared/shipper/index.js';
import { fakeS3 } from './fake-s3.js';

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-spool-'));
});
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let framing: ShipperOptions['framing'] = 'inline';

function options(s3: ReturnType<typeof fakeS3>, extra: Partial<ShipperOptions> = {}): ShipperOptions {
  return { jobId: 'job-1', bucket: 'joblogs-test', spoolDir, s3: s3.client, traceparent: TRACEPARENT, retryBaseMs: 1, retryMaxMs: 5, framing, ...extra };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !condition()) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const spooledFiles = () => readdirSync(path.join(spoolDir, 'job-1', 'main')).filter((f) => f.endsWith('.chunk'));

describe.each(['inline', 'worker'] as const)('Shipper, framing %s', (mode) => {
  beforeEach(() => {
    framing = mode;
  });

  it('ships both streams so that each can be rebuilt byte for byte, in key order', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { maxChunkBytes: 4096 }));
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const out = Buffer.from(`step ${i} loss=${(1 / (i + 1)).toFixed(3)}\n`);
      stdout.push(out);
      shipper.write('stdout', out);
      if (i % 50 === 0) {
        const err = Buffer.from([0x77, 0x61, 0x72, 0x6e, 0xff, 0x0d, 0x0a]);
        stderr.push(err);
        shipper.write('stderr', err);
      }
    }
    stdout.push(Buffer.from('no newline at the end'));
    shipper.write('stdout', Buffer.from('no newline at the end'));
    const summary = await shipper.close({ exitCode: 0 });

    expect(s3.objects.length).toBeGreaterThan(3);
    expect(s3.objects.map((o) => o.key)).toEqual(s3.objects.map((_, i) => `chunks/v1/job-1/main/${String(i).padStart(10, '0')}.log.gz`));
    const streams = reassembleStreams(s3.objects.flatMap((o) => o.frames));
    expect(streams.stdout.equals(Buffer.concat(stdout))).toBe(true);
    expect(streams.stderr.equals(Buffer.concat(stderr))).toBe(true);
    expect(s3.objects.flatMap((o) => o.frames.map((f) => f.line))).toEqual(Array.from({ length: 511 }, (_, i) => i));
    expect(summary).toMatchObject({ lines: 511, chunks: s3.objects.length, uploaded: s3.objects.length, retries: 0, spooled: 0, dropped: 0, pending: 0 });
  });

  it('ships a burst far larger than its memory bound, in reads of every size, without losing a byte', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { maxChunkBytes: 64 * 1024, maxBufferedBytes: 128 * 1024, maxLineBytes: 1000 }));
    const printed: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      // Lines split across reads, CRLFs split between reads, one over-long line, some invalid UTF-8.
      const text = i % 500 === 7 ? 'é'.repeat(1500) : `step ${i} "loss"=${i / 7}\t${i % 11 === 0 ? '\r' : ''}\n`;
      const bytes = i % 97 === 0 ? Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0x0a])]) : Buffer.from(text);
      printed.push(bytes);
      for (let at = 0; at < bytes.length; at += 1 + (i % 40)) shipper.write('stdout', bytes.subarray(at, at + 1 + (i % 40)));
      if (shipper.blocked) await shipper.waitForRoom();
    }
    const summary = await shipper.close({ exitCode: 0 });
    expect(reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.equals(Buffer.concat(printed))).toBe(true);
    expect(s3.objects.map((o) => o.key)).toEqual(s3.objects.map((_, i) => `chunks/v1/job-1/main/${String(i).padStart(10, '0')}.log.gz`));
    expect(s3.objects.at(-1)!.metadata['line-count']).toBe(String(summary.lines));
  });

  it('puts the contract metadata on every chunk and final, exit-code, line-count, dropped-lines and redactions on the last', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { dataset: 'mlplatform.job', service: 'trainer', host: 'gpu-1', containerId: 'c0ffee' }));
    shipper.write('stdout', Buffer.from('hello\n'));
    await shipper.close({ exitCode: 3 });
    expect(s3.objects).toHaveLength(1);
    expect(s3.objects[0]!.metadata).toEqual({
      format: 'framed-v1',
      producer: PRODUCER,
      traceparent: TRACEPARENT,
      dataset: 'mlplatform.job',
      service: 'trainer',
      host: 'gpu-1',
      'container-id': 'c0ffee',
      'chunk-start': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      events: 'marked',
      final: 'true',
      'exit-code': '3',
      'line-count': '1',
      'dropped-lines': '0',
      redactions: '0',
      'content-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('replaces secrets before a chunk is spooled — across writes and across chunk boundaries — and counts them in the final chunk and marker', async () => {
    const s3 = fakeS3();
    const token = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567';
    const wandb = '0123456789abcdef0123456789abcdef01234567';
    const shipper = await Shipper.open(options(s3, { maxChunkBytes: 1024, maxLineBytes: 256, redact: { secrets: [{ name: 'WANDB_API_KEY', value: wandb }] } }));
    const printed = [
      `login with ${token}\n`,
      `wandb key ${wandb}\n`,
      // A line longer than the line limit: its parts (and so the secret) land in different chunks.
      `${'x'.repeat(900)} Authorization: Bearer 0123456789abcdefghij0123456789 ${'y'.repeat(900)}\n`,
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    ].join('');
    for (let at = 0; at < printed.length; at += 7) shipper.write('stdout', Buffer.from(printed.slice(at, at + 7)));
    const summary = await shipper.close({ exitCode: 0 });

    expect(s3.objects.length).toBeGreaterThan(2);
    const shipped = reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.toString('utf8');
    expect(shipped).toBe(
      printed
        .replace(token, '[REDACTED:huggingface-token]')
        .replace(wandb, '[REDACTED:env:WANDB_API_KEY]')
        .replace('0123456789abcdefghij0123456789', '[REDACTED:bearer-token]')
        .replace('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '[REDACTED:aws-secret-access-key]'),
    );
    for (const piece of ['AbCdEfGhIjKlMnOp', '0123456789abcdef01', 'abcdefghij0123', 'bPxRfiCYEXAMPLEKEY']) {
      expect(s3.objects.some((o) => o.frames.some((f) => f.bytes.includes(piece)))).toBe(false);
    }
    expect(summary.redactions).toEqual({ 'huggingface-token': 1, 'env:WANDB_API_KEY': 1, 'bearer-token': 1, 'aws-secret-access-key': 1 });
    expect(s3.objects.at(-1)!.metadata['redactions']).toBe('4');
    await until(() => s3.markers.some((m) => m.marker.status === 'final'), 'the final marker');
    expect(s3.markers.find((m) => m.marker.status === 'final')!.marker.redactions).toBe(4);
  });

  it('ships lines exactly as printed when scrubbing is off', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { redact: false }));
    const printed = Buffer.from('key AKIAIOSFODNN7EXAMPLE\n');
    shipper.write('stdout', printed);
    const summary = await shipper.close({ exitCode: 0 });
    expect(reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.equals(printed)).toBe(true);
    expect(summary.redactions).toEqual({});
    expect(s3.objects.at(-1)!.metadata['redactions']).toBe('0');
  });

  it('counts a chunk already in S3 with its own content as uploaded (a retry whose answer was lost)', async () => {
    const s3 = fakeS3();
    s3.loseNextAnswer();
    const shipper = await Shipper.open(options(s3));
    shipper.write('stdout', Buffer.from('once\n'));
    const summary = await shipper.close({ exitCode: 0 });
    expect(summary).toMatchObject({ uploaded: 1, conflicts: 0, retries: 1 });
    expect(s3.attempts()).toBe(2);
    expect(s3.objects).toHaveLength(1);
  });

  it('stops at a chunk key another writer used, keeps that chunk and the rest spooled, and says so', async () => {
    const s3 = fakeS3();
    s3.occupy('chunks/v1/job-1/main/0000000000.log.gz', { 'content-sha256': 'f'.repeat(64) });
    const events: ShipperEvent[] = [];
    const shipper = await Shipper.open(options(s3, { onEvent: (e) => events.push(e), closeTimeoutMs: 2_000 }));
    shipper.write('stdout', Buffer.from('mine\n'));
    const summary = await shipper.close({ exitCode: 0 });
    expect(summary).toMatchObject({ conflicts: 1, uploaded: 0, pending: 1 });
    expect(events).toContainEqual({ type: 'conflict', key: 'chunks/v1/job-1/main/0000000000.log.gz', seq: 0 });
    expect(s3.objects).toEqual([]);
  });

  it('writes an empty final chunk carrying the signal when the last chunk was already sealed', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 20 }));
    shipper.write('stdout', Buffer.from('one\n'));
    await until(() => s3.objects.length === 1, 'the time-sealed chunk');
    await shipper.close({ signal: 'SIGTERM' });
    expect(s3.objects).toHaveLength(2);
    expect(s3.objects[0]!.metadata['final']).toBeUndefined();
    expect(s3.objects[1]!.frames).toEqual([]);
    expect(s3.objects[1]!.metadata).toMatchObject({ final: 'true', signal: 'SIGTERM', 'line-count': '1' });
    expect(s3.objects[1]!.metadata['exit-code']).toBeUndefined();
  });

  it('keeps chunks in the spool while S3 fails and uploads them in order once it answers', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const events: ShipperEvent[] = [];
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 5, onEvent: (e) => events.push(e) }));
    for (let i = 0; i < 5; i++) {
      shipper.write('stdout', Buffer.from(`line ${i}\n`));
      await until(() => shipper.stats.chunks === i + 1, `chunk ${i}`);
    }
    await until(() => spooledFiles().length === 5, 'five spooled chunks');
    expect(s3.objects).toEqual([]);
    s3.setDown(false);
    const summary = await shipper.close({ exitCode: 0 });
    expect(s3.objects.map((o) => o.frames.map((f) => f.bytes.toString()))).toEqual([['line 0'], ['line 1'], ['line 2'], ['line 3'], ['line 4'], []]);
    expect(summary.retries).toBeGreaterThan(0);
    expect(summary.spooled).toBeGreaterThanOrEqual(1);
    expect(summary.pending).toBe(0);
    expect(spooledFiles()).toEqual([]);
    expect(events.some((e) => e.type === 'upload-failed')).toBe(true);
  });

  it('drops the oldest waiting chunks when the spool is full and reports their lines in the final chunk', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 5, spoolMaxBytes: 2048, gzipLevel: 0, closeTimeoutMs: 10_000 }));
    // Incompressible at level 0: every chunk is ~600 bytes on disk, so only three fit.
    for (let i = 0; i < 8; i++) {
      shipper.write('stdout', Buffer.from(`${i}${'x'.repeat(500)}\n`));
      await until(() => shipper.stats.chunks === i + 1, `chunk ${i}`);
    }
    await until(() => shipper.stats.dropped > 0 && spooledFiles().length <= 3, 'drops');
    s3.setDown(false);
    const summary = await shipper.close({ exitCode: 0 });
    const final = s3.objects.at(-1)!;
    expect(summary.dropped).toBeGreaterThan(0);
    expect(final.metadata['dropped-lines']).toBe(String(summary.dropped));
    expect(final.metadata['line-count']).toBe('8');
    const shipped = s3.objects.flatMap((o) => o.frames.map((f) => f.line));
    expect(shipped.length + summary.dropped).toBe(8);
    // What survives is in order, and the newest line is never the one dropped.
    expect(shipped).toEqual([...shipped].sort((a, b) => a - b));
    expect(shipped).toContain(7);
  });

  it('leaves what it cannot upload in the spool, and a new shipper for the same job drains it and numbers on', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const first = await Shipper.open(options(s3, { closeTimeoutMs: 50 }));
    first.write('stdout', Buffer.from('a\nb\n'));
    const firstSummary = await first.close({ exitCode: 0 });
    expect(firstSummary.pending).toBe(1);

    s3.setDown(false);
    const events: ShipperEvent[] = [];
    const second = await Shipper.open(options(s3, { onEvent: (e) => events.push(e) }));
    second.write('stdout', Buffer.from('c\n'));
    const summary = await second.close({ exitCode: 0 });
    expect(events[0]).toMatchObject({ type: 'resumed', chunks: 1, nextSeq: 1, nextLine: 2 });
    expect(s3.objects.map((o) => o.key.slice(-17))).toEqual(['0000000000.log.gz', '0000000001.log.gz']);
    expect(s3.objects.flatMap((o) => o.frames.map((f) => [f.line, f.bytes.toString()]))).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(summary).toMatchObject({ uploaded: 2, spooled: 1, pending: 0 });
  });

  it('with overflow "block", reports blocked while the spool is full and lets writers on once it drains', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 5, spoolMaxBytes: 1024, overflow: 'block', gzipLevel: 0 }));
    shipper.write('stdout', Buffer.from(`${'y'.repeat(1100)}\n`));
    await until(() => shipper.blocked, 'the spool to fill');
    let released = false;
    const room = shipper.waitForRoom().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(released).toBe(false);
    s3.setDown(false);
    await room;
    expect(shipper.blocked).toBe(false);
    const summary = await shipper.close({});
    expect(summary.dropped).toBe(0);
  });

  it('asks writers to wait while sealed chunks waiting for gzip exceed the memory bound, and loses nothing', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { maxChunkBytes: 1024, maxBufferedBytes: 4096 }));
    let sawBlocked = false;
    for (let i = 0; i < 2000; i++) {
      shipper.write('stdout', Buffer.from(`burst line ${i} ${'z'.repeat(100)}\n`));
      if (shipper.blocked) {
        sawBlocked = true;
        await shipper.waitForRoom();
        expect(shipper.blocked).toBe(false);
      }
    }
    const summary = await shipper.close({ exitCode: 0 });
    expect(sawBlocked).toBe(true);
    expect(summary.lines).toBe(2000);
    expect(s3.objects.flatMap((o) => o.frames).length).toBe(2000);
  });

  it('keeps a chunk the spool cannot write in memory, reports it, and still uploads it in order', async () => {
    const s3 = fakeS3();
    const events: ShipperEvent[] = [];
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 5, onEvent: (e) => events.push(e) }));
    // A directory where chunk 0's file must go: its write fails as on a broken disk.
    mkdirSync(path.join(spoolDir, 'job-1', 'main', '0000000000.chunk'), { recursive: true });
    shipper.write('stdout', Buffer.from('survives a disk error\n'));
    await until(() => s3.objects.length === 1, 'the chunk uploaded from memory');
    shipper.write('stdout', Buffer.from('and the next one\n'));
    const summary = await shipper.close({ exitCode: 0 });
    expect(s3.objects.map((o) => o.frames.map((f) => f.bytes.toString()))).toEqual([['survives a disk error'], ['and the next one']]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'spool-error',
        error: expect.objectContaining({ message: expect.stringMatching(/Cannot write chunk 0 to the spool .*waits in memory/) }),
      }),
    );
    expect(summary).toMatchObject({ dropped: 0, pending: 0, uploaded: 2 });
  });

  it('drops the oldest chunks kept in memory once they pass the memory bound, and reports them in the final chunk', async () => {
    const s3 = fakeS3();
    s3.setDown(true);
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 5, gzipLevel: 0, maxBufferedBytes: 1024, closeTimeoutMs: 10_000 }));
    for (let seq = 0; seq < 6; seq++) mkdirSync(path.join(spoolDir, 'job-1', 'main', `${String(seq).padStart(10, '0')}.chunk`), { recursive: true });
    // Incompressible at level 0: ~600 bytes a chunk, so one fits in 1 KiB of memory, two do not.
    for (let i = 0; i < 4; i++) {
      shipper.write('stdout', Buffer.from(`${i}${'m'.repeat(500)}\n`));
      await until(() => shipper.stats.chunks === i + 1, `chunk ${i}`);
    }
    await until(() => shipper.stats.dropped > 0, 'a drop');
    s3.setDown(false);
    await until(() => s3.objects.length >= 2, 'the chunks left in memory to be uploaded');
    const summary = await shipper.close({ exitCode: 0 });
    const shipped = s3.objects.flatMap((o) => o.frames.map((f) => f.line));
    expect(summary.dropped).toBeGreaterThan(0);
    expect(shipped.length + summary.dropped).toBe(4);
    expect(shipped).toContain(3);
    expect(s3.objects.at(-1)!.metadata).toMatchObject({ final: 'true', 'line-count': '4', 'dropped-lines': String(summary.dropped) });
  });

  it('refuses a second shipper on the same job, source and spool while the first runs, and lets one in after close', async () => {
    const s3 = fakeS3();
    const first = await Shipper.open(options(s3));
    const second = await Shipper.open(options(s3)).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(SpoolLockedError);
    expect((second as SpoolLockedError).message).toMatch(/in use by another joblogs shipper \(pid \d+ on /);
    // Another source of the same job has a spool of its own.
    const otherSource = await Shipper.open(options(s3, { source: 'rank-1' }));
    await otherSource.close({});
    await first.close({});
    const third = await Shipper.open(options(s3));
    await third.close({});
  });

  it('never throws from write, even after close', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3));
    await shipper.close({});
    expect(() => shipper.write('stdout', Buffer.from('late\n'))).not.toThrow();
  });

  it('lists every bad option in one typed error', async () => {
    const s3 = fakeS3();
    const error = await Shipper.open({
      ...options(s3),
      jobId: '../etc',
      source: '',
      bucket: 'Bad_Bucket',
      flushIntervalMs: 0,
      overflow: 'sometimes' as 'block',
      traceparent: 'nope',
      dataset: 'other.job',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipperOptionsError);
    const problems = (error as ShipperOptionsError).problems.join('\n');
    for (const field of ['jobId', 'source', 'bucket', 'flushIntervalMs', 'overflow', 'traceparent', 'dataset']) expect(problems).toContain(field);
  });

  it('seals chunks every flushIntervalMs only while the watch signal says someone follows the job, and loses no line either way', async () => {
    const s3 = fakeS3();
    const events: ShipperEvent[] = [];
    const watched = { flushIntervalMs: 50, idleFlushIntervalMs: 60_000, freshStartMs: 0, watchPollIntervalMs: 100 };
    // Watched, the signal is read every 10 s (WatchDefaults.freshPollIntervalMs): too slow for this test.
    const defaults = WatchDefaults as { freshPollIntervalMs: number };
    const freshPoll = defaults.freshPollIntervalMs;
    defaults.freshPollIntervalMs = 100;
    onTestFinished(() => void (defaults.freshPollIntervalMs = freshPoll));
    const shipper = await Shipper.open(options(s3, { ...watched, onEvent: (e) => events.push(e) }));
    const printSlowly = async (from: number, count: number, gapMs: number) => {
      for (let i = from; i < from + count; i++) {
        shipper.write('stdout', Buffer.from(`line ${i}\n`));
        await new Promise((r) => setTimeout(r, gapMs));
      }
    };
    await printSlowly(0, 20, 20);
    expect(s3.objects, 'unwatched: no chunk before the idle interval').toHaveLength(0);
    s3.setWatch(JSON.stringify({ until: new Date(Date.now() + 60_000).toISOString() }));
    await until(() => s3.objects.length === 1, 'the lines held while unwatched, sealed once watched');
    expect(s3.objects[0]!.frames).toHaveLength(20);
    await printSlowly(20, 10, 120);
    // 10 lines 120 ms apart, sealed every 50 ms: a chunk per line or two; a busy machine merges some.
    await until(() => s3.objects.length >= 5, 'several chunks while watched');
    s3.setWatch(new Error('AccessDenied'));
    await printSlowly(30, 5, 120);
    await until(() => s3.objects.flatMap((o) => o.frames).length === 35, 'still fresh while the signal cannot be read');
    const summary = await shipper.close({ exitCode: 0 });
    expect(s3.objects.flatMap((o) => o.frames.map((f) => f.bytes.toString()))).toEqual(Array.from({ length: 35 }, (_, i) => `line ${i}`));
    expect(summary).toMatchObject({ lines: 35, uploaded: s3.objects.length, dropped: 0 });
    expect(events.filter((e) => e.type === 'cadence')).toEqual([{ type: 'cadence', intervalMs: 50, reason: 'watched' }]);
    expect(events.some((e) => e.type === 'watch-read-failed')).toBe(true);
    expect(s3.watchReads()).toBeGreaterThan(5);
  });

  it('never reads the watch signal with idleFlushIntervalMs 0 (always fresh, as before)', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open(options(s3, { flushIntervalMs: 50, idleFlushIntervalMs: 0, freshStartMs: 0, watchPollIntervalMs: 100 }));
    shipper.write('stdout', Buffer.from('one\n'));
    await until(() => s3.objects.length === 1, 'a chunk after 50 ms');
    await new Promise((r) => setTimeout(r, 300));
    await shipper.close({ exitCode: 0 });
    expect(s3.watchReads()).toBe(0);
  });
});
