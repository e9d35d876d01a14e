import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChunkTooLargeError, CorruptGzipError, isPermanent, isTransient, NotGzipError } from '../../../../../shared/core/errors.js';
import { gunzipChunk, readableHead } from '../../../../../shared/core/contract/index.js';
import { bodyOf, collect, randomPieces, seededRandom } from '../support.js';

const LINES = Buffer.from('2026-11-25 10:00:00,123 INFO epoch 1\n{"level":30,"time":1795600800123,"msg":"done"}\n');

async function failure(body: AsyncIterable<Buffer>): Promise<unknown> {
  try {
    await collect(gunzipChunk(body));
  } catch (error) {
    return error;
  }
  throw new Error('expected the body to be refused');
}

/** A body that records whether its reader closed it early. */
function trackedBody(pieces: readonly Buffer[]): { body: AsyncIterable<Buffer>; closed: () => boolean } {
  let closed = false;
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      for (const piece of pieces) yield piece;
    } finally {
      closed = true;
    }
  }
  return { body: generate(), closed: () => closed };
}

describe('gunzipChunk', () => {
  it('decompresses a gzip body', async () => {
    expect((await collect(gunzipChunk(bodyOf([gzipSync(LINES)])))).equals(LINES)).toBe(true);
  });

  it('decompresses a body delivered one byte at a time, magic bytes included', async () => {
    const gz = gzipSync(LINES);
    const bytes = [...gz].map((b) => Buffer.from([b]));
    expect((await collect(gunzipChunk(bodyOf(bytes)))).equals(LINES)).toBe(true);
  });

  it('decompresses concatenated gzip members as one stream', async () => {
    const members = [gzipSync('first member\n'), gzipSync('second member\n'), gzipSync('third, no newline')];
    const out = await collect(gunzipChunk(bodyOf([Buffer.concat(members)])));
    expect(out.toString()).toBe('first member\nsecond member\nthird, no newline');
  });

  it('decompresses members that arrive in arbitrary pieces (seeded)', async () => {
    const text = Buffer.from(`${'x'.repeat(50_000)}\n${'é😀'.repeat(10_000)}`);
    const gz = Buffer.concat([gzipSync(text.subarray(0, 30_000)), gzipSync(text.subarray(30_000))]);
    const random = seededRandom(5);
    for (let trial = 0; trial < 20; trial++) {
      expect((await collect(gunzipChunk(bodyOf(randomPieces(gz, random, 4096))))).equals(text)).toBe(true);
    }
  });

  it('streams a 10 MB chunk back to the same bytes', async () => {
    const random = seededRandom(9);
    const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i} loss=${random().toFixed(6)}\n`).join(''));
    const out = await collect(gunzipChunk(bodyOf(randomPieces(gzipSync(text), random, 256 * 1024))));
    expect(out.length).toBe(text.length);
    expect(out.equals(text)).toBe(true);
  });

  it('yields nothing for an empty body', async () => {
    expect((await collect(gunzipChunk(bodyOf([])))).length).toBe(0);
    expect((await collect(gunzipChunk(bodyOf([Buffer.alloc(0), Buffer.alloc(0)])))).length).toBe(0);
  });

  it('yields nothing for gzip of nothing', async () => {
    expect((await collect(gunzipChunk(bodyOf([gzipSync(Buffer.alloc(0))])))).length).toBe(0);
  });

  it.each([
    ['plain text', Buffer.from('hello\nworld\n'), '68656c6c'],
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00]), '28b52ffd'],
    ['bzip2', Buffer.from('BZh91AY&SY'), '425a6839'],
    ['a lone first magic byte', Buffer.from([0x1f]), '1f'],
    ['gzip magic reversed', Buffer.from([0x8b, 0x1f, 0x08]), '8b1f08'],
  ])('refuses %s as not gzip, permanently, naming the first bytes', async (_, bytes, hex) => {
    const error = await failure(bodyOf([bytes]));
    expect(error).toBeInstanceOf(NotGzipError);
    expect(isPermanent(error)).toBe(true);
    expect((error as NotGzipError).code).toBe('NOT_GZIP');
    expect((error as Error).message).toContain(`0x${hex})`);
  });

  it('closes the body it refused', async () => {
    const { body, closed } = trackedBody([Buffer.from('plain text'), Buffer.from('more')]);
    await failure(body);
    expect(closed()).toBe(true);
  });

  it('refuses a truncated member as corrupt, keeping the zlib error as cause', async () => {
    const gz = gzipSync(LINES);
    const error = await failure(bodyOf([gz.subarray(0, gz.length - 10)]));
    expect(error).toBeInstanceOf(CorruptGzipError);
    expect(isPermanent(error)).toBe(true);
    expect((error as CorruptGzipError).code).toBe('CORRUPT_GZIP');
    expect(((error as Error).cause as { code?: string }).code).toMatch(/^Z_/);
  });

  it('refuses a member whose checksum does not match', async () => {
    const gz = Buffer.from(gzipSync(LINES));
    gz[gz.length - 6]! ^= 0xff; // inside the CRC32 trailer
    expect(await failure(bodyOf([gz]))).toBeInstanceOf(CorruptGzipError);
  });

  it('refuses garbage after the gzip header', async () => {
    const gz = Buffer.concat([gzipSync(LINES).subarray(0, 10), Buffer.alloc(64, 0xff)]);
    expect(await failure(bodyOf([gz]))).toBeInstanceOf(CorruptGzipError);
  });

  it('refuses bytes after the last member that are not another member', async () => {
    const gz = Buffer.concat([gzipSync('hello\n'), Buffer.from('trailing text\n')]);
    expect(await failure(bodyOf([gz]))).toBeInstanceOf(CorruptGzipError);
  });

  it('passes an error of the source through unchanged, as retryable', async () => {
    const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const gz = gzipSync(Buffer.from('a'.repeat(1_000_000)));
    async function* body(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 1000);
      throw network;
    }
    const error = await failure(body());
    expect(error).toBe(network);
    expect(isTransient(error)).toBe(true);
  });

  it('passes an error raised before the first byte through unchanged', async () => {
    const throttled = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
    // biome-ignore lint/correctness/useYield: a body that throws before its first chunk
    async function* body(): AsyncGenerator<Buffer> {
      throw throttled;
    }
    expect(await failure(body())).toBe(throttled);
  });

  it('yields the good data before a corrupt tail', async () => {
    const good = Buffer.from('y'.repeat(200_000));
    const gz = Buffer.concat([gzipSync(good), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad])]);
    const seen: Buffer[] = [];
    await expect(
      (async () => {
        for await (const buf of gunzipChunk(bodyOf([gz]))) seen.push(buf);
      })(),
    ).rejects.toBeInstanceOf(CorruptGzipError);
    expect(Buffer.concat(seen).equals(good)).toBe(true);
  });

  describe('a small chunk with a corrupt tail (zlib drops the output of the write that fails)', () => {
    /** What the reader got before the error, and the error. */
    async function readUntilRefused(body: AsyncIterable<Buffer>): Promise<{ text: string; error: unknown }> {
      const seen: Buffer[] = [];
      try {
        for await (const buf of gunzipChunk(body)) seen.push(buf);
      } catch (error) {
        return { text: Buffer.concat(seen).toString('utf8'), error };
      }
      throw new Error('expected the body to be refused');
    }
    const text = `${Array.from({ length: 500 }, (_, i) => `training step ${i}`).join('\n')}\n`;

    it('still yields every line when only the CRC of the trailer is wrong', async () => {
      const gz = Buffer.from(gzipSync(text));
      gz[gz.length - 8]! ^= 0xff;
      const { text: got, error } = await readUntilRefused(bodyOf([gz]));
      expect(error).toBeInstanceOf(CorruptGzipError);
      expect(got).toBe(text);
    });

    it('still yields the member that precedes trailing garbage', async () => {
      const { text: got, error } = await readUntilRefused(bodyOf([Buffer.concat([gzipSync('before the garbage\n'), Buffer.from('not gzip at all')])]));
      expect(error).toBeInstanceOf(CorruptGzipError);
      expect(got).toBe('before the garbage\n');
    });

    it('still yields the readable head of a cut upload', async () => {
      const gz = gzipSync(text);
      const cut = gz.subarray(0, Math.floor(gz.length / 2));
      const { text: got, error } = await readUntilRefused(bodyOf([cut]));
      expect(error).toBeInstanceOf(CorruptGzipError);
      expect(got.length).toBeGreaterThan(0);
      expect(text.startsWith(got)).toBe(true);
    });
  });

  it('finds the readable head of a stream: all of it before the first error, nothing after', () => {
    const gz = Buffer.from(gzipSync(LINES));
    expect(readableHead(gz, 1 << 20).equals(LINES)).toBe(true);
    gz[gz.length - 1]! ^= 0xff; // ISIZE
    expect(readableHead(gz, 1 << 20).equals(LINES)).toBe(true);
    expect(readableHead(Buffer.from([0x1f, 0x8b]), 1 << 20).length).toBe(0);
    expect(readableHead(gzipSync(Buffer.alloc(1 << 20, 0x61)), 1000).length).toBeLessThanOrEqual(1000);
  });

  it('closes the body when the reader stops early', async () => {
    const gz = gzipSync(Buffer.alloc(1_000_000, 0x61));
    const { body, closed } = trackedBody(randomPieces(gz, seededRandom(1), 64));
    for await (const buf of gunzipChunk(body)) {
      expect(buf.length).toBeGreaterThan(0);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed()).toBe(true);
  });
});

describe('gunzipChunk bound', () => {
  it('yields at most the bound of a gzip bomb, then refuses the rest as CHUNK_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, 'a\n'));
    expect(bomb.length).toBeLessThan(512 * 1024);
    let seen = 0;
    let error: unknown;
    try {
      for await (const buf of gunzipChunk(bodyOf([bomb]), 1024 * 1024)) seen += buf.length;
    } catch (e) {
      error = e;
    }
    expect(seen).toBe(1024 * 1024);
    expect(error).toBeInstanceOf(ChunkTooLargeError);
    expect((error as ChunkTooLargeError).kind).toBe('permanent');
  });
});
