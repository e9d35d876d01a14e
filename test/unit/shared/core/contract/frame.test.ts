import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeFrames,
  encodeFrame,
  frameBytes,
  readFrameLeniently,
  readShipperFrame,
  reassembleStreams,
  type Frame,
  type FrameTerminator,
} from '../../../../../shared/core/contract/index.js';
import { FrameError } from '../../../../../shared/core/errors.js';
import { FrameWriter, LineCapture, maxFrameBytes } from '../../../../../shared/shipper/index.js';
import { seededRandom } from '../../../../../testkit/random.js';

const T = Date.UTC(2026, 10, 25, 10, 0, 0, 123);

/** A shipper frame as the general reader gives it: without the message's literal, which only it has. */
function withoutLiteral(read: ReturnType<typeof readShipperFrame>): Omit<NonNullable<typeof read>, 'literal'> | undefined {
  if (read === undefined) return undefined;
  const { literal: _, ...rest } = read;
  return rest;
}

function frame(bytes: Buffer | string, terminator: FrameTerminator = '\n', line = 0): Frame {
  return { time: T, stream: 'stdout', line, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), terminator };
}

describe('framed-v1 frames', () => {
  it('writes the contract fields: t, s, n, m, and e only when the terminator is not \\n', () => {
    expect(JSON.parse(encodeFrame(frame('epoch 1 loss=0.5')))).toEqual({ t: '2026-11-25T10:00:00.123Z', s: 'stdout', n: 0, m: 'epoch 1 loss=0.5' });
    expect(JSON.parse(encodeFrame(frame('50%', '\r', 7)))).toEqual({ t: '2026-11-25T10:00:00.123Z', s: 'stdout', n: 7, m: '50%', e: '\r' });
    expect(JSON.parse(encodeFrame(frame('dos', '\r\n')))).toMatchObject({ e: '\r\n' });
    expect(JSON.parse(encodeFrame(frame('part', '')))).toMatchObject({ e: '' });
  });

  it.each<[string, Buffer]>([
    ['plain text', Buffer.from('hello world')],
    ['an empty line', Buffer.alloc(0)],
    ['NUL and control bytes', Buffer.from('a\u0000b\u0007c\u001b[31mred')],
    ['a byte-order mark', Buffer.from('\uFEFFwith bom')],
    ['multi-byte UTF-8 and emoji', Buffer.from('naïve 日本語 🚀')],
    ['a literal U+FFFD', Buffer.from('replacement \uFFFD char')],
    ['invalid UTF-8', Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x80, 0x6f])],
    ['a truncated UTF-8 sequence', Buffer.from([0x61, 0xe6, 0x97])],
    ['raw binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ])('round-trips %s exactly, under every terminator', (_name, bytes) => {
    for (const terminator of ['\n', '\r\n', '\r', ''] as const) {
      const decoded = decodeFrame(encodeFrame(frame(bytes, terminator, 42)));
      expect(decoded).toEqual({ time: T, stream: 'stdout', line: 42, bytes, terminator });
    }
  });

  it('uses m for valid UTF-8 and b (base64) otherwise', () => {
    expect(JSON.parse(encodeFrame(frame(Buffer.from('ok \uFEFF')))).m).toBe('ok \uFEFF');
    const invalid = JSON.parse(encodeFrame(frame(Buffer.from([0xc3, 0x28]))));
    expect(invalid.m).toBeUndefined();
    expect(Buffer.from(invalid.b, 'base64')).toEqual(Buffer.from([0xc3, 0x28]));
  });

  it('rebuilds a 5 MB line split into continuation parts byte for byte', () => {
    const line = Buffer.from(`${'é'.repeat(2_500_000)}x`);
    const capture = new LineCapture(256 * 1024);
    const parts: Frame[] = [];
    let n = 0;
    const emit = (l: { bytes: Buffer; terminator: FrameTerminator; time: number }) =>
      parts.push(decodeFrame(encodeFrame({ ...l, stream: 'stdout', line: n++ })));
    capture.push(Buffer.concat([line, Buffer.from('\n')]), T, emit);
    expect(parts.length).toBeGreaterThan(19);
    expect(parts.slice(0, -1).every((p) => p.terminator === '')).toBe(true);
    expect(parts.at(-1)!.terminator).toBe('\n');
    // Cut at UTF-8 boundaries, so every part is valid text (m, not b).
    expect(parts.every((p) => p.bytes.toString('utf8').includes('\uFFFD') === false)).toBe(true);
    // Buffer#equals: a deep toEqual over 5 MB walks every byte through the matcher.
    expect(Buffer.concat(parts.map(frameBytes)).equals(Buffer.concat([line, Buffer.from('\n')]))).toBe(true);
  });

  it('reassembles each stream in line order from frames of several chunks', () => {
    const frames = decodeFrames(
      `${[
        encodeFrame({ time: T, stream: 'stderr', line: 2, bytes: Buffer.from('warn'), terminator: '\n' }),
        encodeFrame({ time: T, stream: 'stdout', line: 3, bytes: Buffer.from('tail'), terminator: '' }),
      ].join('\n')}\n`,
    );
    frames.push(
      ...decodeFrames(
        `${encodeFrame({ time: T, stream: 'stdout', line: 0, bytes: Buffer.from('a'), terminator: '\r' })}\n${encodeFrame({ time: T, stream: 'stdout', line: 1, bytes: Buffer.from('b'), terminator: '\r\n' })}`,
      ),
    );
    expect(reassembleStreams(frames)).toEqual({ stdout: Buffer.from('a\rb\r\ntail'), stderr: Buffer.from('warn\n') });
  });

  it.each([
    ['not JSON', 'hello'],
    ['no time', '{"s":"stdout","n":0,"m":"x"}'],
    ['an unknown stream', '{"t":"2026-11-25T10:00:00Z","s":"stdin","n":0,"m":"x"}'],
    ['a negative line number', '{"t":"2026-11-25T10:00:00Z","s":"stdout","n":-1,"m":"x"}'],
    ['no text', '{"t":"2026-11-25T10:00:00Z","s":"stdout","n":0}'],
    ['an unknown terminator', '{"t":"2026-11-25T10:00:00Z","s":"stdout","n":0,"m":"x","e":"\\t"}'],
  ])('rejects a frame with %s', (_name, text) => {
    expect(() => decodeFrame(text)).toThrow(FrameError);
  });
});

describe("reading the shipper's own frames from their bytes", () => {
  /** A frame as the shipper writes it (its FrameWriter), as the indexer gets it: bytes without the newline. */
  function shipped(f: Frame): Buffer {
    const out = Buffer.alloc(maxFrameBytes(f.bytes.length));
    return out.subarray(0, new FrameWriter().write(out, 0, f));
  }
  const lenient = (json: Buffer) => readFrameLeniently(json.toString('utf8'));

  const texts = [
    '',
    'epoch 1 loss=0.5',
    '{"level":30,"msg":"request completed","req":{"url":"/v1/embed?q=\\"x\\""}}',
    'a "quoted" word and a back\\slash',
    'tab\tand NUL \u0000 and ESC \u001b[31mred\u001b[0m',
    'naïve 日本語 🚀 \uFEFF \uFFFD',
    '  Epoch 0:  34%|███▌      | 100/289 [00:02<01:46, 3.03it/s]',
  ];

  it('reads every frame the shipper writes exactly as the general reader does, marks and terminators included', () => {
    let n = 0;
    for (const text of texts)
      for (const terminator of ['\n', '\r\n', '\r', ''] as const)
        for (const mark of [undefined, 'continue', 'cut'] as const)
          for (const [stream, line] of [
            ['stdout', 0],
            ['stderr', 7],
            ['stdout', 123_456_789_012_345],
          ] as const) {
            const json = shipped({ time: T + n++, stream, line, bytes: Buffer.from(text), terminator, mark });
            const read = readShipperFrame(json);
            expect(read, json.toString()).toBeDefined();
            expect(withoutLiteral(read)).toEqual(lenient(json));
          }
  });

  it('reads random printable and control text the same way as the general reader', () => {
    const random = seededRandom(17);
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\u0000', '\u0007', '\t', '\u001f', '\u007f', 'é', '日', '🚀', '\uFFFD', '{', '}', ':', ','];
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const json = shipped({ time: T + i, stream: 'stdout', line: i, bytes: Buffer.from(text), terminator: '\n' });
      expect(withoutLiteral(readShipperFrame(json)), text).toEqual(lenient(json));
    }
  });

  it("gives the message also as the frame's JSON string literal, the bytes JSON.stringify writes for it", () => {
    const random = seededRandom(23);
    const alphabet = ['a', ' ', '"', '\\', '/', '\u0000', '\u0007', '\t', '\n', '\u001f', '\u007f', 'é', '🚀', '\uFFFD', '{'];
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const read = readShipperFrame(shipped({ time: T, stream: 'stderr', line: i, bytes: Buffer.from(text), terminator: '' }))!;
      const { bytes, start, end } = read.literal;
      expect(bytes.toString('utf8', start, end), text).toBe(JSON.stringify(text));
      expect(read.payload).toBe(text);
    }
  });

  it.each<[string, string]>([
    ['a line number with a leading zero (not JSON)', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":07,"m":"hello"}'],
    ['a negative line number', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":-7,"m":"hello"}'],
    ['a raw control character in the message (not JSON)', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"a\u0001b"}'],
    ['a raw quote in the message (not JSON)', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"a"b"}'],
    ['a bad escape (not JSON)', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"a\\qb"}'],
    ['an escaped quote that ends the message early', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"abc\\","e":""}'],
    ['another field after the message', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"hello","z":"q"}'],
    ['an explicit \\n terminator', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"hello","e":"\\n"}'],
    ['both marks', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"c":1,"x":1,"m":"hello"}'],
    ['an escape in the time', '{"t":"2026-11-25T10:00:00.12\\u0033","s":"stdout","n":7,"m":"hello"}'],
    ['a short time', '{"t":"2026-11-25T10:00:00Z","s":"stdout","n":7,"m":"hello there"}'],
    ['an unknown stream', '{"t":"2026-11-25T10:00:00.123Z","s":"stdmid","n":7,"m":"hello"}'],
    ['base64', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"b":"aGVsbG8="}'],
    ['spaces', '{"t": "2026-11-25T10:00:00.123Z", "s": "stdout", "n": 7, "m": "hello"}'],
    ['another field order', '{"s":"stdout","t":"2026-11-25T10:00:00.123Z","n":7,"m":"hello"}'],
    ['a byte-order mark before it', '\uFEFF{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"hello"}'],
    ['a truncated frame', '{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":7,"m":"hello'],
  ])('leaves a frame with %s to the general reader', (_name, text) => {
    expect(readShipperFrame(Buffer.from(text))).toBeUndefined();
  });
});
