import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Framer, type FramedChunk } from '../../../../shared/shipper/framer.js';

/** A framer on the fake clock (gzip runs for real on the thread pool). */
function framer(o: { flushIntervalMs: number; maxChunkBytes?: number; errorFlushIntervalMs?: number }) {
  const chunks: FramedChunk[] = [];
  const f = new Framer({
    maxChunkBytes: o.maxChunkBytes ?? 1024 * 1024,
    flushIntervalMs: o.flushIntervalMs,
    errorFlushIntervalMs: o.errorFlushIntervalMs,
    maxLineBytes: 16 * 1024,
    gzipLevel: 1,
    firstLine: 0,
    onChunk: (c) => chunks.push(c),
    onError: (e) => {
      throw e;
    },
  });
  let n = 0;
  const line = () => f.write('stdout', Buffer.from(`step ${n++}\n`), Date.now());
  const error = () => f.write('stderr', Buffer.from(`2026-12-01 10:00:00 ERROR step ${n++} failed\n`), Date.now());
  return { f, chunks, line, error };
}

/** Lets sealed chunks through gzip (real I/O): resolves once nothing is waiting for it. */
async function drained(f: Framer): Promise<void> {
  for (let i = 0; i < 10_000 && f.gzipBacklog > 0; i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** One line a second for `seconds` s. */
async function printSlowly(t: ReturnType<typeof framer>, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    t.line();
    await vi.advanceTimersByTimeAsync(1_000);
  }
  await drained(t.f);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.parse('2026-12-01T10:00:00Z') });
});
afterEach(() => vi.useRealTimers());

describe('Framer: the flush interval follows the watch', () => {
  it('unwatched (30 s), a job printing a line a second makes one chunk per 30 s; watched (1 s), one per second', async () => {
    const t = framer({ flushIntervalMs: 30_000 });
    await printSlowly(t, 60);
    expect(t.chunks.map((c) => c.lines)).toEqual([30, 30]);
    t.f.setFlushInterval(1_000);
    await printSlowly(t, 10);
    expect(t.chunks.length).toBeGreaterThanOrEqual(11);
    expect(t.chunks.slice(2).every((c) => c.lines === 1)).toBe(true);
    await t.f.end();
  });

  it('seals a chunk already older than the new interval at once when someone starts watching', async () => {
    const t = framer({ flushIntervalMs: 30_000 });
    await printSlowly(t, 20);
    expect(t.chunks).toHaveLength(0);
    t.f.setFlushInterval(1_000);
    await vi.advanceTimersByTimeAsync(0);
    await drained(t.f);
    expect(t.chunks.map((c) => c.lines)).toEqual([20]);
    await t.f.end();
  });

  it('going idle lets the open chunk wait for the longer bound', async () => {
    const t = framer({ flushIntervalMs: 1_000 });
    t.line();
    t.f.setFlushInterval(30_000);
    await vi.advanceTimersByTimeAsync(29_000);
    await drained(t.f);
    expect(t.chunks).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await drained(t.f);
    expect(t.chunks.map((c) => c.lines)).toEqual([1]);
    await t.f.end();
  });

  it('still seals by size at once while idle', async () => {
    const t = framer({ flushIntervalMs: 30_000, maxChunkBytes: 2048 });
    for (let i = 0; i < 100; i++) t.line();
    await drained(t.f);
    expect(t.chunks.length).toBeGreaterThanOrEqual(2);
    expect(t.chunks.every((c) => c.rawBytes <= 2048 + 256)).toBe(true);
    await t.f.end();
    expect(t.chunks.at(-1)!.final).toBe(true);
    expect(t.chunks.reduce((n, c) => n + c.lines, 0)).toBe(100);
  });

  it('while idle, seals the chunk holding an error-level line one fresh interval after it, then goes on idle', async () => {
    const t = framer({ flushIntervalMs: 30_000, errorFlushIntervalMs: 1_000 });
    await printSlowly(t, 5);
    t.error();
    await vi.advanceTimersByTimeAsync(999);
    await drained(t.f);
    expect(t.chunks).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await drained(t.f);
    expect(t.chunks.map((c) => c.lines)).toEqual([6]);
    await printSlowly(t, 29);
    expect(t.chunks).toHaveLength(1);
    await printSlowly(t, 2);
    expect(t.chunks.map((c) => c.lines)).toEqual([6, 30]);
    await t.f.end();
  });

  it('a job printing errors while watched is sealed by the (same) fresh interval', async () => {
    const t = framer({ flushIntervalMs: 1_000, errorFlushIntervalMs: 1_000 });
    t.line();
    await vi.advanceTimersByTimeAsync(500);
    t.error();
    await vi.advanceTimersByTimeAsync(500);
    await drained(t.f);
    expect(t.chunks.map((c) => c.lines)).toEqual([2]);
    await t.f.end();
  });
});
