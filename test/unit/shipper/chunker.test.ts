import { describe, expect, it } from 'vitest';
import { Chunker } from '../../../shared/shipper/index.js';

describe('Chunker', () => {
  it('reports a frame that would take the chunk past its size bound, and a chunk that reached it', () => {
    const chunker = new Chunker({ maxChunkBytes: 1024, flushIntervalMs: 1000 });
    const frame = 'x'.repeat(99); // 100 bytes with its newline
    for (let i = 0; i < 10; i++) {
      expect(chunker.wouldOverflow(frame)).toBe(false);
      chunker.add(frame, 0);
    }
    expect(chunker.isFull()).toBe(false);
    expect(chunker.wouldOverflow(frame)).toBe(true);
    chunker.add('y'.repeat(23), 0);
    expect(chunker.isFull()).toBe(true);
  });

  it('never refuses a first frame, however large', () => {
    const chunker = new Chunker({ maxChunkBytes: 1024, flushIntervalMs: 1000 });
    expect(chunker.wouldOverflow('z'.repeat(5000))).toBe(false);
  });

  it('is due flushIntervalMs after its first line, not after its last', () => {
    const chunker = new Chunker({ maxChunkBytes: 1 << 20, flushIntervalMs: 1000 });
    expect(chunker.dueAt()).toBeUndefined();
    expect(chunker.isDue(10_000)).toBe(false);
    chunker.add('a', 5_000);
    chunker.add('b', 5_900);
    expect(chunker.isDue(5_999)).toBe(false);
    expect(chunker.isDue(6_000)).toBe(true);
  });

  it('seals framed lines, each ending in a newline, with the first line\'s time', () => {
    const chunker = new Chunker({ maxChunkBytes: 1 << 20, flushIntervalMs: 1000 });
    chunker.add('{"n":0}', 7);
    chunker.add('{"n":1}', 8);
    const sealed = chunker.take(9);
    expect(sealed).toEqual({ body: Buffer.from('{"n":0}\n{"n":1}\n'), lines: 2, startTime: 7 });
    expect(chunker.lines).toBe(0);
    expect(chunker.take(11)).toEqual({ body: Buffer.alloc(0), lines: 0, startTime: 11 });
  });
});
