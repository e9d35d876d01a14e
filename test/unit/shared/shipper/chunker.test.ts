import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame, type Frame } from '../../../../shared/core/contract/index.js';
import { Chunker, type SealedBody } from '../../../../shared/shipper/index.js';

const frame = (line: number, text: string, time = 0): Frame => ({ time, stream: 'stdout', line, bytes: Buffer.from(text), terminator: '\n' });
/** Bytes a frame takes in a body, with its newline. */
const size = (f: Frame) => Buffer.byteLength(encodeFrame(f)) + 1;

describe('Chunker', () => {
  it('seals before a frame that would take the chunk past its size bound, and starts the next chunk with it', () => {
    const one = size(frame(0, 'x'.repeat(50)));
    const chunker = new Chunker({ maxChunkBytes: one * 3 + 10, flushIntervalMs: 1000 });
    const sealed: SealedBody[] = [];
    for (let i = 0; i < 4; i++) chunker.add(frame(i, 'x'.repeat(50), i), (s) => sealed.push(s));
    expect(sealed).toHaveLength(1);
    expect(decodeFrames(sealed[0]!.body.toString()).map((f) => f.line)).toEqual([0, 1, 2]);
    expect(sealed[0]).toMatchObject({ lines: 3, startTime: 0 });
    expect(chunker.lines).toBe(1);
    expect(chunker.dueAt()).toBe(3 + 1000);
  });

  it('seals a chunk as soon as it reaches its size bound', () => {
    const one = size(frame(0, 'y'.repeat(50)));
    const chunker = new Chunker({ maxChunkBytes: one * 2, flushIntervalMs: 1000 });
    const sealed: SealedBody[] = [];
    chunker.add(frame(0, 'y'.repeat(50)), (s) => sealed.push(s));
    chunker.add(frame(1, 'y'.repeat(50)), (s) => sealed.push(s));
    expect(sealed.map((s) => s.lines)).toEqual([2]);
    expect(chunker.lines).toBe(0);
  });

  it('never refuses a first frame, however large', () => {
    const chunker = new Chunker({ maxChunkBytes: 1024, flushIntervalMs: 1000 });
    const sealed: SealedBody[] = [];
    chunker.add(frame(0, 'z'.repeat(5000)), (s) => sealed.push(s));
    expect(sealed).toHaveLength(1);
    expect(decodeFrames(sealed[0]!.body.toString())[0]!.bytes.length).toBe(5000);
  });

  it('is due flushIntervalMs after its first line, not after its last', () => {
    const chunker = new Chunker({ maxChunkBytes: 1 << 20, flushIntervalMs: 1000 });
    expect(chunker.dueAt()).toBeUndefined();
    expect(chunker.isDue(10_000)).toBe(false);
    chunker.add(frame(0, 'a', 5_000), () => undefined);
    chunker.add(frame(1, 'b', 5_900), () => undefined);
    expect(chunker.isDue(5_999)).toBe(false);
    expect(chunker.isDue(6_000)).toBe(true);
  });

  it("seals framed lines exactly as encodeFrame writes them, each ending in a newline, with the first line's time", () => {
    const chunker = new Chunker({ maxChunkBytes: 1 << 20, flushIntervalMs: 1000 });
    const frames = [
      frame(0, 'a "quoted" \\ tab\t', 7),
      { ...frame(1, '', 8), stream: 'stderr' as const, bytes: Buffer.from([0xff, 0x00]), terminator: '\r\n' as const },
    ];
    for (const f of frames) chunker.add(f, () => undefined);
    const sealed = chunker.take(9);
    expect(sealed.body.toString('latin1')).toBe(frames.map((f) => `${encodeFrame(f)}\n`).join(''));
    expect(sealed).toMatchObject({ lines: 2, startTime: 7 });
    expect(chunker.lines).toBe(0);
    expect(chunker.take(11)).toEqual({ body: Buffer.alloc(0), lines: 0, startTime: 11 });
  });

  describe('with lines of every length, some needing escapes or not UTF-8', () => {
    const maxChunkBytes = 64 * 1024;
    /** Mostly short lines, one in 97 of 4–40 KiB; quotes, control bytes and invalid UTF-8 here and there. */
    const frames: Frame[] = Array.from({ length: 3000 }, (_, i) => {
      const length = i % 97 === 0 ? 4096 + ((i * 7919) % 36_000) : 20 + ((i * 31) % 300);
      const bytes = Buffer.alloc(length, 0x61 + (i % 26));
      if (i % 5 === 0) bytes[length >> 1] = 0x22;
      if (i % 11 === 0) bytes[length >> 2] = 0x01;
      if (i % 389 === 0) bytes[0] = 0xff;
      return { time: i, stream: 'stdout', line: i, bytes, terminator: '\n' };
    });
    /** Every body sealed, each recycled as the framer does once it is gzipped, then what is left. */
    const chunk = (): SealedBody[] => {
      const chunker = new Chunker({ maxChunkBytes, flushIntervalMs: 1000 });
      const sealed: SealedBody[] = [];
      const keep = (body: SealedBody) => {
        sealed.push({ ...body, body: Buffer.from(body.body) });
        chunker.recycle(body.body);
      };
      for (const f of frames) chunker.add(f, keep);
      keep(chunker.take(frames.length));
      return sealed;
    };

    it('seals exactly the frames encodeFrame writes, in order, and fills each chunk as far as the bound allows', () => {
      const sealed = chunk();
      expect(Buffer.concat(sealed.map((s) => s.body)).toString('latin1')).toBe(frames.map((f) => `${encodeFrame(f)}\n`).join(''));
      let next = 0;
      for (const [i, s] of sealed.entries()) {
        next += s.lines;
        if (s.lines > 1) expect(s.body.length).toBeLessThanOrEqual(maxChunkBytes);
        const following = frames[next];
        if (i < sealed.length - 1 && following && s.body.length < maxChunkBytes) expect(s.body.length + size(following)).toBeGreaterThan(maxChunkBytes);
      }
      expect(next).toBe(frames.length);
    });

    it('reuses the memory of recycled bodies: lines near the end of a chunk never make it allocate a bigger one', () => {
      const chunker = new Chunker({ maxChunkBytes, flushIntervalMs: 1000 });
      const memory = new Set<ArrayBufferLike>();
      const recycle = (s: SealedBody) => {
        memory.add(s.body.buffer);
        chunker.recycle(s.body);
      };
      for (const f of frames) chunker.add(f, recycle);
      expect(memory.size).toBeLessThanOrEqual(2);
    });
  });
});
