import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SourceMerge } from '../../../../shared/core/download/source-merge.js';
import { ByteBudget, readSource } from '../../../../functions/assembler/source-reader.js';
import type { SourceItem } from '../../../../shared/core/download/index.js';
import { encodeFrame } from '../../../../shared/core/contract/index.js';
import { ObjectGoneError } from '../../../../shared/core/errors.js';
import type { SourcePlan } from '../../../../shared/core/download/index.js';
import type { OpenedChunk } from '../../../../shared/adapters/s3/chunk-store.js';

const T = Date.parse('2026-11-25T10:00:00.000Z');
type FrameSpec = [line: number, text: string, terminator?: '' | '\n'];

function chunk(frames: FrameSpec[], stream: 'stdout' | 'stderr' = 'stdout', timeOffset = 0): Buffer {
  return gzipSync(
    frames
      .map(([line, text, terminator = '\n']) => `${encodeFrame({ time: T + timeOffset + line * 10, stream, line, bytes: Buffer.from(text), terminator })}\n`)
      .join(''),
  );
}

function store(chunks: Record<number, Buffer | 'gone'>) {
  const opened: number[] = [];
  const open = async (seq: number): Promise<OpenedChunk> => {
    opened.push(seq);
    const c = chunks[seq];
    if (c === undefined || c === 'gone') throw new ObjectGoneError(`chunk ${seq} is gone`);
    return { metadata: { format: 'framed-v1' }, body: Readable.from([c]), contentLength: c.length };
  };
  return { open, opened };
}

const plan = (present: number[], lastSeq: number, lineCount?: number): SourcePlan => {
  const missing = [];
  for (let s = 0; s <= lastSeq; s++) if (!present.includes(s)) missing.push(s);
  return { source: 'main', present, lastSeq, final: true, lineCount, missing };
};

async function collect(batches: AsyncIterable<SourceItem[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of batches)
    for (const item of batch) {
      out.push(
        item.kind === 'line'
          ? item.line.bytes.toString()
          : `[gap ${item.gap.fromSeq}-${item.gap.toSeq} lines ${item.gap.fromLine}-${item.gap.toLine} ${item.gap.reason}]`,
      );
    }
  return out;
}

const deps = (s: ReturnType<typeof store>, o: { budget?: number; maxChunkBytes?: number } = {}) => ({
  open: s.open,
  prefetch: 2,
  budget: new ByteBudget(o.budget ?? 64 * 1024 * 1024),
  maxChunkBytes: o.maxChunkBytes ?? 8 * 1024 * 1024,
  startTime: T,
});

describe('readSource', () => {
  it('reads chunks in seq order and marks missing ones as one gap with the lines they held', async () => {
    const s = store({
      0: chunk([
        [0, 'a'],
        [1, 'b'],
      ]),
      3: chunk([[6, 'g']]),
    });
    expect(await collect(readSource(plan([0, 3], 3, 7), deps(s)))).toEqual(['a', 'b', '[gap 1-2 lines 2-5 missing]', 'g']);
  });

  it('marks missing chunks at the end with the final line count', async () => {
    const s = store({ 0: chunk([[0, 'a']]) });
    expect(await collect(readSource(plan([0], 2, 9), deps(s)))).toEqual(['a', '[gap 1-2 lines 1-8 missing]']);
  });

  it('joins a line continued across a chunk boundary', async () => {
    const s = store({
      0: chunk([
        [0, 'a'],
        [1, 'long-', ''],
      ]),
      1: chunk([
        [2, 'line'],
        [3, 'z'],
      ]),
    });
    expect(await collect(readSource(plan([0, 1], 1), deps(s)))).toEqual(['a', 'long-line', 'z']);
  });

  it('keeps the readable head of a corrupt chunk and marks the rest', async () => {
    const whole = chunk(Array.from({ length: 2000 }, (_, i): FrameSpec => [i, `line ${i} ${'x'.repeat(50)}`]));
    const s = store({ 0: whole.subarray(0, Math.floor(whole.length / 2)), 1: chunk([[2000, 'after']]) });
    const out = await collect(readSource(plan([0, 1], 1), deps(s)));
    expect(out[0]).toMatch(/^line 0 /);
    const gap = out.findIndex((l) => l.startsWith('[gap'));
    expect(out[gap]).toMatch(/^\[gap 0-0 lines \d+-1999 corrupt gzip\]$/);
    expect(out.slice(0, gap).every((l, i) => l.startsWith(`line ${i} `))).toBe(true);
    expect(out.at(-1)).toBe('after');
  });

  it('treats a chunk deleted since the listing as missing', async () => {
    const s = store({ 0: chunk([[0, 'a']]), 1: 'gone', 2: chunk([[2, 'c']]) });
    expect(await collect(readSource(plan([0, 1, 2], 2), deps(s)))).toEqual(['a', '[gap 1-1 lines 1-1 missing]', 'c']);
  });

  it('resumes from a position: later chunks only, from the given line index', async () => {
    const s = store({
      0: chunk([[0, 'a']]),
      1: chunk([
        [1, 'b'],
        [2, 'c'],
        [3, 'd'],
      ]),
    });
    expect(await collect(readSource(plan([0, 1], 1), deps(s), { seq: 1, index: 2, nextLine: 3, time: T }))).toEqual(['d']);
    expect(s.opened).not.toContain(0);
  });

  it('reads a chunk that inflates beyond the bound up to it, then marks the rest (a gzip bomb costs bounded memory)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 'a\n'));
    const s = store({ 0: bomb, 1: chunk([[1, 'after']]) });
    const out: string[] = [];
    let most = 0;
    for await (const batch of readSource(plan([0, 1], 1), deps(s, { maxChunkBytes: 256 * 1024 }))) {
      most = Math.max(most, batch.length);
      for (const item of batch) out.push(item.kind === 'line' ? item.line.bytes.toString() : `[gap ${item.gap.fromSeq} ${item.gap.reason}]`);
    }
    expect(out.filter((l) => l === 'a')).toHaveLength(128 * 1024);
    expect(out.slice(-2)).toEqual(['[gap 0 larger than the contract allows]', 'after']);
    expect(most).toBeLessThanOrEqual(64 * 1024);
  }, 30_000);

  it('streams chunks the prefetch budget has no room for, with the same lines', async () => {
    const s = store({
      0: chunk([
        [0, 'a'],
        [1, 'b'],
      ]),
      1: chunk([[2, 'c']]),
    });
    expect(await collect(readSource(plan([0, 1], 1), deps(s, { budget: 0 })))).toEqual(['a', 'b', 'c']);
  });
});

describe('SourceMerge', () => {
  it('interleaves sources by capture time, ties by source name, each source in its own order, and knows where each stands', async () => {
    const a = store({
      0: chunk([
        [0, 'a0'],
        [1, 'a1'],
        [2, 'a2'],
      ]),
    });
    const b = store({
      0: chunk(
        [
          [0, 'b0'],
          [1, 'b1'],
        ],
        'stderr',
        5,
      ),
    });
    const merge = new SourceMerge([
      { source: 'rank-1', items: readSource({ ...plan([0], 0), source: 'rank-1' }, deps(b)) },
      { source: 'rank-0', items: readSource({ ...plan([0], 0), source: 'rank-0' }, deps(a)) },
    ]);
    const out: string[] = [];
    for (;;) {
      const next = merge.take();
      if (!next) {
        if (await merge.fill()) continue;
        break;
      }
      out.push(`${next.source}:${next.item.kind === 'line' ? next.item.line.bytes.toString() : 'gap'}`);
      if (out.length === 3)
        expect(await merge.cursor()).toEqual({
          'rank-0': expect.objectContaining({ seq: 0, index: 2 }),
          'rank-1': expect.objectContaining({ seq: 0, index: 1 }),
        });
    }
    expect(out).toEqual(['rank-0:a0', 'rank-1:b0', 'rank-0:a1', 'rank-1:b1', 'rank-0:a2']);
    expect(await merge.cursor()).toEqual({ 'rank-0': null, 'rank-1': null });
  });
});
