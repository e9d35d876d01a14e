import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DownloadTextWriter, lineDefaults, readPrintedLines } from '../../../../../shared/core/download/index.js';
import { encodeFrame, readFrameLeniently, type Frame } from '../../../../../shared/core/contract/index.js';
import { seededRandom } from '../../../../../testkit/random.js';

const T = Date.parse('2026-11-25T10:00:00.000Z');
const frame = (line: number, text: string | Buffer, over: Partial<Frame> = {}) =>
  encodeFrame({ time: T + line, stream: 'stdout', line, bytes: Buffer.isBuffer(text) ? text : Buffer.from(text), terminator: '\n', ...over });
const body = (...lines: string[]) => [Buffer.from(lines.map((l) => `${l}\n`).join(''))];
async function read(chunks: Buffer[], metadata: Record<string, string> = { format: 'framed-v1' }, start = 0) {
  const out = [];
  for await (const batch of readPrintedLines(Readable.from(chunks), lineDefaults(metadata, T - 1000), start))
    for (const l of batch) out.push({ ...l, text: l.bytes.toString('latin1') });
  return out;
}

describe('readPrintedLines (framed-v1)', () => {
  it('gives each frame as a printed line with its time, stream, number and index', async () => {
    const lines = await read(body(frame(0, 'hello'), frame(1, 'oops', { stream: 'stderr' })));
    expect(lines.map(({ text, stream, time, line, index, complete }) => ({ text, stream, time, line, index, complete }))).toEqual([
      { text: 'hello', stream: 'stdout', time: T, line: 0, index: 0, complete: true },
      { text: 'oops', stream: 'stderr', time: T + 1, line: 1, index: 1, complete: true },
    ]);
  });

  it('joins the parts of a long line, and hands back an unfinished last line as incomplete', async () => {
    const lines = await read(body(frame(0, 'aaa', { terminator: '' }), frame(1, 'bbb'), frame(2, 'cc', { terminator: '' })));
    expect(lines.map((l) => [l.text, l.line, l.lastLine, l.complete])).toEqual([
      ['aaabbb', 0, 1, true],
      ['cc', 2, 2, false],
    ]);
  });

  it('keeps the raw bytes of invalid UTF-8 (b) and of a line that is not a frame', async () => {
    const lines = await read(body(frame(0, Buffer.from([0x66, 0xff, 0x6f])), 'not a frame'));
    expect(lines[0]!.bytes).toEqual(Buffer.from([0x66, 0xff, 0x6f]));
    expect(lines[1]!.text).toBe('not a frame');
  });

  it('starts at a given line index (resuming)', async () => {
    const lines = await read(body(frame(0, 'a'), frame(1, 'b'), frame(2, 'c')), { format: 'framed-v1' }, 2);
    expect(lines.map((l) => l.text)).toEqual(['c']);
  });
});

describe('readPrintedLines reads every frame the shipper can write exactly', () => {
  it('for quotes, backslashes, control bytes, unicode, invalid UTF-8 and every terminator', async () => {
    const texts = ['plain', 'say "hi"', 'C:\\path\\x', 'tab\there', '\u0000nul', 'ünïcødé ✓ 🚀', '{"json": [1, 2]}', '","e":""}', ''];
    const frames: string[] = [];
    const want: Array<[string, 'stdout' | 'stderr']> = [];
    let n = 0;
    for (const text of texts) {
      for (const terminator of ['\n', '\r\n', '\r'] as const) {
        const stream = n % 3 === 0 ? 'stderr' : 'stdout';
        frames.push(frame(n++, text, { terminator, stream }));
        want.push([Buffer.from(text).toString('latin1'), stream]);
      }
    }
    frames.push(frame(n++, Buffer.from([0xc3, 0x28, 0xff])));
    want.push([Buffer.from([0xc3, 0x28, 0xff]).toString('latin1'), 'stdout']);
    const lines = await read(body(...frames));
    expect(lines.map((l) => [l.text, l.stream])).toEqual(want);
    expect(lines.map((l) => l.line)).toEqual(want.map((_, i) => i));
    expect(lines.map((l) => l.time)).toEqual(want.map((_, i) => T + i));
  });
});

describe("readPrintedLines reads a hostile producer's frames as the indexer does", () => {
  /** A frame in the shipper's layout whose message is written as it is, unescaped: not JSON when it holds a quote or a control character. */
  const rawFrame = (line: number, message: string) => `{"t":"2026-11-25T10:00:00.123Z","s":"stdout","n":${line},"m":"${message}"}`;
  /** What the indexer makes of a frame (readFrameLeniently): its message, or the whole frame when it is not a frame. */
  const indexed = (text: string) => {
    const payload = readFrameLeniently(text)?.payload ?? text;
    return (typeof payload === 'string' ? Buffer.from(payload) : payload).toString('latin1');
  };

  it.each<[string, string]>([
    ['a raw control character', rawFrame(0, 'a\u0001b')],
    ['a raw tab', rawFrame(0, 'col1\tcol2')],
    ['a raw ESC', rawFrame(0, '\u001b[31mred')],
    ['a raw quote', rawFrame(0, 'say "hi"')],
    ['a bad escape', rawFrame(0, 'a\\qb')],
    ['a raw control character beside an escape', rawFrame(0, 'a\u0001\\"b')],
  ])('a frame whose message has %s is one line in both, with the same text', async (_name, text) => {
    const lines = await read(body(rawFrame(0, 'before'), text, rawFrame(2, 'after')));
    expect(lines.map((l) => l.text)).toEqual(['before', indexed(text), 'after']);
  });

  it('agrees with the indexer on 2 000 random unescaped messages', async () => {
    const random = seededRandom(29);
    const alphabet = ['a', 'Z', ' ', '"', '\\', '\u0000', '\u0001', '\t', '\u001b', '\u001f', '\u007f', 'é', '🚀', '{', '}', ','];
    const frames = Array.from({ length: 2000 }, (_, i) =>
      rawFrame(i, Array.from({ length: 1 + Math.floor(random() * 20) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')),
    );
    const lines = await read(body(...frames));
    // A frame ending in a backslash escapes its own closing quote: the splitter still ends the line at the newline.
    expect(lines.map((l) => l.text)).toEqual(frames.map(indexed));
  });
});

describe('readPrintedLines (lines format)', () => {
  it('takes the time from chunk-start and the stream from the metadata; CR and CRLF end lines', async () => {
    const lines = await read([Buffer.from('one\r\ntwo\rthree')], { 'chunk-start': '2026-11-25T09:00:00Z', stream: 'stderr' });
    expect(lines.map((l) => [l.text, l.stream, l.time, l.complete])).toEqual([
      ['one', 'stderr', Date.parse('2026-11-25T09:00:00Z'), true],
      ['two', 'stderr', Date.parse('2026-11-25T09:00:00Z'), true],
      ['three', 'stderr', Date.parse('2026-11-25T09:00:00Z'), true],
    ]);
  });
});

describe('DownloadTextWriter', () => {
  it('writes `<time> <stream> <text>` for one source and puts the source in front of the stream for several', () => {
    const line = { time: T, stream: 'stderr' as const, bytes: Buffer.from('loss=0.1 ✓') };
    const one = new DownloadTextWriter(1, 16);
    one.line('main', line);
    one.line('main', { ...line, time: T + 1999, stream: 'stdout' });
    expect(one.take().toString()).toBe('2026-11-25T10:00:00.000Z stderr loss=0.1 ✓\n2026-11-25T10:00:01.999Z stdout loss=0.1 ✓\n');
    const several = new DownloadTextWriter(2);
    several.line('rank-1', line);
    expect(several.take().toString()).toBe('2026-11-25T10:00:00.000Z rank-1 stderr loss=0.1 ✓\n');
  });

  it('formats every millisecond as Date#toISOString does, and hands over a fresh buffer each time', () => {
    const w = new DownloadTextWriter(1, 8);
    const times = [0, 999, 1000, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), T + 7, Date.UTC(10000, 0, 1)];
    for (const time of times) w.line('m', { time, stream: 'stdout', bytes: Buffer.from('x') });
    const first = w.take();
    expect(first.toString().split('\n').slice(0, -1)).toEqual(times.map((t) => `${new Date(t).toISOString()} stdout x`));
    w.line('m', { time: T, stream: 'stdout', bytes: Buffer.from('y') });
    expect(w.take().toString()).toBe('2026-11-25T10:00:00.000Z stdout y\n');
    expect(first.toString()).toContain('1970-01-01T00:00:00.000Z stdout x');
  });

  it('writes an explicit gap marker with the chunks and lines missing, or why a chunk could not be read', () => {
    const w = new DownloadTextWriter(1);
    w.gap('main', { fromSeq: 3, toSeq: 4, fromLine: 300, toLine: 499, time: T, reason: 'missing' });
    w.gap('main', { fromSeq: 7, toSeq: 7, fromLine: undefined, toLine: undefined, time: T, reason: 'corrupt gzip' });
    expect(w.take().toString()).toBe(
      '2026-11-25T10:00:00.000Z joblogs [gap] chunks 3-4 of source main never arrived: lines 300-499 (200) missing\n' +
        '2026-11-25T10:00:00.000Z joblogs [gap] chunk 7 of source main could not be read (corrupt gzip): an unknown number of lines missing\n',
    );
  });
});
