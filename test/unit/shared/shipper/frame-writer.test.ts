import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Frame, type FrameTerminator } from '../../../../shared/core/contract/index.js';
import { FrameWriter, maxFrameBytes } from '../../../../shared/shipper/index.js';
/** The seeded PRNG, so a failure names bytes that can be replayed. */
import { seededRandom as random } from '../../../../testkit/index.js';

const T = Date.parse('2026-11-25T10:00:00.123Z');
const TERMINATORS: FrameTerminator[] = ['\n', '\r\n', '\r', ''];

/** What FrameWriter writes for `frame`, checked against the bound and against the size it says beforehand. */
function written(frame: Frame): Buffer {
  const out = Buffer.alloc(maxFrameBytes(frame.bytes.length) + 8, 0xee);
  const writer = new FrameWriter();
  const size = writer.size(frame);
  const end = writer.write(out, 4, frame);
  expect(end - 4).toBeLessThanOrEqual(maxFrameBytes(frame.bytes.length));
  if (end - 4 !== size) throw new Error(`size() said ${size} bytes, write() wrote ${end - 4} for ${frame.bytes.toString('hex')}`);
  return out.subarray(4, end);
}

describe('FrameWriter', () => {
  const awkward: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['plain ASCII', Buffer.from('epoch 1 loss=0.5')],
    ['every control byte, quote, backslash and DEL', Buffer.from([...Array.from({ length: 0x20 }, (_, i) => i), 0x22, 0x5c, 0x7f, 0x2f])],
    ['UTF-8 text, BOM, U+2028 and an emoji', Buffer.from('naïve ✓ \uFEFF line\u2028sep 🚀 █▉')],
    ['JSON a logger printed', Buffer.from('{"level":30,"msg":"saved \\"ckpt\\"","path":"C:\\\\tmp"}')],
    ['invalid UTF-8', Buffer.from([0x62, 0x61, 0x64, 0xff, 0xc3, 0x28])],
    ['a lone continuation byte after escapes', Buffer.from([0x22, 0x0a, 0x80])],
    ['an ANSI colour sequence', Buffer.from('\u001b[31mred\u001b[0m')],
  ];

  it.each(awkward)('writes %s byte for byte as encodeFrame does, with every terminator', (_name, bytes) => {
    for (const terminator of TERMINATORS) {
      for (const line of [0, 7, 10, 123_456_789, Number.MAX_SAFE_INTEGER]) {
        const frame: Frame = {
          time: T,
          stream: line % 2 === 0 ? 'stdout' : 'stderr',
          line,
          bytes,
          terminator,
          ...(line === 7 ? { mark: 'continue' as const } : {}),
        };
        expect(written(frame).equals(Buffer.from(encodeFrame(frame)))).toBe(true);
        expect(decodeFrame(written(frame).toString('utf8'))).toEqual(frame);
      }
    }
  });

  it('matches encodeFrame on 5000 random lines of random bytes, mostly text', () => {
    const next = random(42);
    for (let i = 0; i < 5000; i++) {
      const length = Math.floor(next() * 300);
      const bytes = Buffer.alloc(length);
      for (let j = 0; j < length; j++) bytes[j] = next() < 0.9 ? 0x20 + Math.floor(next() * 0x5f) : Math.floor(next() * 256);
      if (i % 3 === 0) bytes.write('é✓', Math.floor(length / 2));
      const frame: Frame = { time: T + i, stream: 'stdout', line: i, bytes, terminator: TERMINATORS[i % 4]! };
      if (!written(frame).equals(Buffer.from(encodeFrame(frame)))) throw new Error(`frame ${i} differs for bytes ${bytes.toString('hex')}`);
    }
  });

  it('formats the time once per millisecond but never reuses it for another millisecond or stream', () => {
    const writer = new FrameWriter();
    const out = Buffer.alloc(1024);
    const at = (time: number, stream: 'stdout' | 'stderr') =>
      out.subarray(0, writer.write(out, 0, { time, stream, line: 1, bytes: Buffer.from('x'), terminator: '\n' })).toString();
    expect(at(T, 'stdout')).toBe('{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":1,"m":"x"}');
    expect(at(T, 'stderr')).toBe('{"t":"2026-11-25T10:00:00.123Z","s":"stderr","n":1,"m":"x"}');
    expect(at(T + 1, 'stdout')).toBe('{"t":"2026-11-25T10:00:00.124Z","s":"stdout","n":1,"m":"x"}');
  });
});
