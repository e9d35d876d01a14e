import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type RawLine } from '../../../../../shared/core/ingest/index.js';
import { cutAt, randomPieces, seededRandom } from '../support.js';

const KIB = 1024;

function split(pieces: readonly Buffer[], maxLineBytes = 32 * KIB): RawLine[] {
  const splitter = new LineSplitter(maxLineBytes);
  const lines: RawLine[] = [];
  for (const piece of pieces) lines.push(...splitter.push(piece));
  lines.push(...splitter.end());
  return lines;
}

const texts = (lines: readonly RawLine[]) => lines.map((l) => l.bytes.toString('utf8'));
/** Comparable form of the output: bytes as hex so that invalid UTF-8 compares exactly. */
const shape = (lines: readonly RawLine[]) => lines.map((l) => ({ hex: l.bytes.toString('hex'), position: l.position, part: l.part }));

describe('LineSplitter', () => {
  it('splits on LF and numbers lines from 0', () => {
    const lines = split([Buffer.from('epoch 1\nepoch 2\n')]);
    expect(lines.map((l) => [l.bytes.toString(), l.position, l.part])).toEqual([
      ['epoch 1', 0, undefined],
      ['epoch 2', 1, undefined],
    ]);
    expect(lines[0]).not.toHaveProperty('part');
  });

  it('treats CRLF as one line end', () => {
    expect(texts(split([Buffer.from('C:\\> train.exe\r\nstarted\r\n')]))).toEqual(['C:\\> train.exe', 'started']);
  });

  it('splits a lone CR as a line end, the way a progress bar redraws', () => {
    const tqdm =
      'Epoch 1:   0%|          | 0/100 [00:00<?, ?it/s]\r' +
      'Epoch 1:  50%|█████     | 50/100 [00:01<00:01, 49.81it/s]\r' +
      'Epoch 1: 100%|██████████| 100/100 [00:02<00:00, 49.93it/s]\n' +
      'done\n';
    expect(texts(split([Buffer.from(tqdm)]))).toEqual([
      'Epoch 1:   0%|          | 0/100 [00:00<?, ?it/s]',
      'Epoch 1:  50%|█████     | 50/100 [00:01<00:01, 49.81it/s]',
      'Epoch 1: 100%|██████████| 100/100 [00:02<00:00, 49.93it/s]',
      'done',
    ]);
  });

  it('keeps a last line that has no final newline', () => {
    expect(texts(split([Buffer.from('first\nlast without newline')]))).toEqual(['first', 'last without newline']);
  });

  it('does not invent an empty line after a final newline, CRLF or CR', () => {
    expect(split([Buffer.from('a\n')])).toHaveLength(1);
    expect(split([Buffer.from('a\r\n')])).toHaveLength(1);
    expect(split([Buffer.from('a\r')])).toHaveLength(1);
  });

  it('yields nothing for an empty body', () => {
    expect(split([])).toEqual([]);
    expect(split([Buffer.alloc(0), Buffer.alloc(0)])).toEqual([]);
  });

  it('counts empty lines as positions so ids of later lines stay stable', () => {
    const lines = split([Buffer.from('a\n\n\r\n\rb\n')]);
    expect(lines.map((l) => [l.bytes.toString(), l.position])).toEqual([
      ['a', 0],
      ['', 1],
      ['', 2],
      ['', 3],
      ['b', 4],
    ]);
  });

  it('reads CR CR LF as an empty line between two ends', () => {
    expect(texts(split([Buffer.from('x\r\r\ny')]))).toEqual(['x', '', 'y']);
  });

  it('treats a CRLF cut between two reads as one line end', () => {
    expect(texts(split([Buffer.from('a\r'), Buffer.from('\nb\n')]))).toEqual(['a', 'b']);
  });

  it('still joins CR and LF when empty reads come between them', () => {
    expect(texts(split([Buffer.from('a\r'), Buffer.alloc(0), Buffer.alloc(0), Buffer.from('\nb')]))).toEqual(['a', 'b']);
  });

  it('does not swallow a later LF after a CR that ended a read', () => {
    expect(texts(split([Buffer.from('a\r'), Buffer.from('b\n'), Buffer.from('\nc')]))).toEqual(['a', 'b', '', 'c']);
  });

  it('keeps every line of a Python traceback apart', () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/app/train.py", line 42, in <module>',
      '    main()',
      '  File "/app/train.py", line 37, in main',
      '    loss = step(batch)',
      'ValueError: loss is NaN',
    ];
    expect(texts(split([Buffer.from(`${traceback.join('\n')}\n`)]))).toEqual(traceback);
  });

  it('keeps NUL, control bytes, a BOM and invalid UTF-8 exactly as printed', () => {
    const raw = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x00, 0x62, 0x1b, 0x5b, 0x30, 0x6d, 0x0a, 0xff, 0xfe, 0xc3, 0x0a]);
    const lines = split([raw]);
    expect(lines.map((l) => l.bytes.toString('hex'))).toEqual(['efbbbf6100621b5b306d', 'fffec3']);
  });

  it('leaves a line of exactly the limit whole', () => {
    const lines = split([Buffer.from(`${'x'.repeat(100)}\n`)], 100);
    expect(lines).toEqual([{ bytes: Buffer.from('x'.repeat(100)), position: 0 }]);
  });

  it('splits a line one byte over the limit into two numbered parts', () => {
    const lines = split([Buffer.from(`${'x'.repeat(101)}\nnext\n`)], 100);
    expect(lines.map((l) => [l.bytes.length, l.position, l.part])).toEqual([
      [100, 0, 0],
      [1, 1, 1],
      [4, 2, undefined],
    ]);
  });

  it('does not emit an empty trailing part for a line of exactly twice the limit', () => {
    const lines = split([Buffer.from(`${'y'.repeat(200)}\n`)], 100);
    expect(lines.map((l) => [l.bytes.length, l.part])).toEqual([
      [100, 0],
      [100, 1],
    ]);
  });

  it('splits an over-long last line that has no newline', () => {
    const lines = split([Buffer.from('z'.repeat(250))], 100);
    expect(lines.map((l) => [l.bytes.length, l.position, l.part])).toEqual([
      [100, 0, 0],
      [100, 1, 1],
      [50, 2, 2],
    ]);
  });

  it('never cuts inside a multi-byte character', () => {
    // 99 ASCII bytes then '€' (3 bytes): a cut at 100 would fall inside the euro sign.
    const line = `${'a'.repeat(99)}€${'b'.repeat(10)}`;
    const lines = split([Buffer.from(`${line}\n`)], 100);
    expect(texts(lines)).toEqual(['a'.repeat(99), `€${'b'.repeat(10)}`]);
    expect(lines.every((l) => isUtf8(l.bytes))).toBe(true);
  });

  it('cuts binary garbage at the limit, since it has no characters to respect', () => {
    const lines = split([Buffer.alloc(250, 0x80)], 100);
    expect(lines.map((l) => l.bytes.length)).toEqual([100, 100, 50]);
  });

  it('splits a 10 MB line into valid UTF-8 parts that reassemble to the original bytes', () => {
    const alphabet = ['a', 'é', '€', '😀', 'ß', '中', ' '];
    const random = seededRandom(10);
    const chars: string[] = [];
    let size = 0;
    while (size < 10 * 1024 * KIB) {
      const c = alphabet[Math.floor(random() * alphabet.length)]!;
      chars.push(c);
      size += Buffer.byteLength(c);
    }
    const original = Buffer.from(chars.join(''));
    const input = Buffer.concat([Buffer.from('before\n'), original, Buffer.from('\nafter\n')]);
    const lines = split(randomPieces(input, seededRandom(11), 64 * KIB));

    const parts = lines.filter((l) => l.part !== undefined);
    expect(parts.length).toBeGreaterThanOrEqual(Math.ceil(original.length / (32 * KIB)));
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i));
    // Only a character boundary may shorten a part: by at most 3 bytes.
    expect(parts.slice(0, -1).every((p) => p.bytes.length > 32 * KIB - 4)).toBe(true);
    expect(parts.every((p) => p.bytes.length <= 32 * KIB && isUtf8(p.bytes))).toBe(true);
    expect(Buffer.concat(parts.map((p) => p.bytes)).equals(original)).toBe(true);
    expect(lines.map((l) => l.position)).toEqual(lines.map((_, i) => i));
    expect(lines[0]!.bytes.toString()).toBe('before');
    expect(lines.at(-1)).toEqual({ bytes: Buffer.from('after'), position: lines.length - 1 });
  });

  it('splits 1M tiny lines with consecutive positions', () => {
    const input = Buffer.from('.\n'.repeat(1_000_000));
    const splitter = new LineSplitter(32 * KIB);
    let count = 0;
    let last = -1;
    let ok = true;
    for (const piece of cutAt(
      input,
      Array.from({ length: 31 }, (_, i) => (i + 1) * 64 * KIB + (i % 2)),
    )) {
      for (const line of splitter.push(piece)) {
        ok &&= line.position === last + 1 && line.bytes.length === 1 && line.bytes[0] === 0x2e;
        last = line.position;
        count++;
      }
    }
    expect([...splitter.end()]).toEqual([]);
    expect(ok).toBe(true);
    expect(count).toBe(1_000_000);
    expect(last).toBe(999_999);
  });

  describe('gives the same lines whatever the read boundaries', () => {
    const tricky = Buffer.concat([
      Buffer.from('2026-11-25 10:00:00,123 INFO start\r\n'),
      Buffer.from('progress 10%\rprogress 50%\rprogress 100%\n'),
      Buffer.from('\n\r\r\n'),
      Buffer.from(`${'é€😀'.repeat(5)}\n`),
      Buffer.from([0xff, 0x00, 0xc3, 0x0a]),
      Buffer.from(`${'x'.repeat(23)}😀${'y'.repeat(7)}\r`),
      Buffer.from('{"level":30,"msg":"done"}'),
    ]);

    it('when cut once at every possible offset', () => {
      for (const max of [8, 16, 1024]) {
        const expected = shape(split([tricky], max));
        for (let cut = 0; cut <= tricky.length; cut++) {
          expect(shape(split(cutAt(tricky, [cut]), max)), `max ${max}, cut ${cut}`).toEqual(expected);
        }
      }
    });

    it('when cut at every pair of offsets', () => {
      const expected = shape(split([tricky], 16));
      for (let a = 1; a < tricky.length; a++) {
        for (let b = a + 1; b < tricky.length; b++) {
          expect(shape(split(cutAt(tricky, [a, b]), 16))).toEqual(expected);
        }
      }
    });

    it('when read one byte at a time', () => {
      const bytes = [...tricky].map((b) => Buffer.from([b]));
      expect(shape(split(bytes, 16))).toEqual(shape(split([tricky], 16)));
    });

    it('when cut at random offsets (seeded)', () => {
      const random = seededRandom(42);
      const expected = shape(split([tricky], 16));
      for (let trial = 0; trial < 500; trial++) {
        expect(shape(split(randomPieces(tricky, random, 20), 16)), `trial ${trial}`).toEqual(expected);
      }
    });
  });
});
