import { describe, expect, it } from 'vitest';
import { LineCapture, utf8Boundary, type CapturedLine } from '../../../../shared/shipper/index.js';
/** The seeded PRNG, so a failing split can be replayed. */
import { seededRandom as seeded } from '../../../../testkit/index.js';

function capture(pieces: Buffer[], maxLineBytes = 64): CapturedLine[] {
  const lines: CapturedLine[] = [];
  const c = new LineCapture(maxLineBytes);
  pieces.forEach((p, i) => c.push(p, i, (l) => lines.push({ ...l, bytes: Buffer.from(l.bytes) })));
  c.end(pieces.length, (l) => lines.push(l));
  return lines;
}

const rebuilt = (lines: CapturedLine[]) => Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from(l.terminator, 'latin1')]));
const shape = (lines: CapturedLine[]) => lines.map((l) => [l.bytes.toString('latin1'), l.terminator]);

const SAMPLE = Buffer.concat([
  Buffer.from('epoch 1\nprogress 10%\rprogress 20%\rdone\r\nwindows line\r\n\n\r\r\n'),
  Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
  Buffer.from(`${'日本語 🚀 '.repeat(30)}\n`),
  Buffer.from(`${'x'.repeat(200)}\n`),
  Buffer.from('trailing without newline'),
]);

describe('LineCapture', () => {
  it('ends lines at \\n, \\r\\n and a lone \\r and keeps each terminator', () => {
    expect(shape(capture([Buffer.from('a\nb\r\nc\rd')]))).toEqual([
      ['a', '\n'],
      ['b', '\r\n'],
      ['c', '\r'],
      ['d', ''],
    ]);
  });

  it('tells \\r\\n from \\r when the read ends between them', () => {
    expect(shape(capture([Buffer.from('a\r'), Buffer.from('\nb\r'), Buffer.from('c\r')]))).toEqual([
      ['a', '\r\n'],
      ['b', '\r'],
      ['c', '\r'],
    ]);
  });

  it('emits nothing for an empty stream and an empty line for a bare newline', () => {
    expect(capture([])).toEqual([]);
    expect(shape(capture([Buffer.from('\n')]))).toEqual([['', '\n']]);
  });

  it('cuts a line longer than the limit into parts with an empty terminator, at UTF-8 boundaries', () => {
    const lines = capture([Buffer.from(`${'é'.repeat(100)}\n`)], 51);
    // 200 bytes, limit 51: a cut at 51 would split an "é", so parts are 50 bytes; the last part keeps the newline.
    expect(lines.map((l) => l.bytes.length)).toEqual([50, 50, 50, 50]);
    expect(lines.map((l) => l.terminator)).toEqual(['', '', '', '\n']);
    expect(lines.every((l) => !l.bytes.toString('utf8').includes('\uFFFD'))).toBe(true);
  });

  it('gives the same lines whatever the read boundaries (200 seeded random splits)', () => {
    const whole = capture([SAMPLE]);
    expect(rebuilt(whole).equals(SAMPLE)).toBe(true);
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      const pieces: Buffer[] = [];
      for (let at = 0; at < SAMPLE.length; ) {
        const size = Math.min(SAMPLE.length - at, 1 + Math.floor(random() * 40));
        pieces.push(SAMPLE.subarray(at, at + size));
        at += size;
      }
      const lines = capture(pieces);
      expect(rebuilt(lines).equals(SAMPLE), `seed ${seed}`).toBe(true);
      expect(shape(lines), `seed ${seed}`).toEqual(shape(whole));
    }
  });

  it('stamps a line with the time its first byte arrived', () => {
    const lines = capture([Buffer.from('sta'), Buffer.from('rt\nnext'), Buffer.from('\n')]);
    expect(lines.map((l) => [l.bytes.toString(), l.time])).toEqual([
      ['start', 0],
      ['next', 1],
    ]);
  });

  it('finds a cut that does not split a UTF-8 sequence', () => {
    const bytes = Buffer.from('a€b'); // € is 3 bytes: 61 e2 82 ac 62
    expect(utf8Boundary(bytes, 2)).toBe(1);
    expect(utf8Boundary(bytes, 3)).toBe(1);
    expect(utf8Boundary(bytes, 4)).toBe(4);
    expect(utf8Boundary(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), 5)).toBe(5);
  });
});
