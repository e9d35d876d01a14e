import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GZIP_MAGIC } from './constants.js';
import { CorruptGzipError, NotGzipError } from './errors.js';

/**
 * Decompresses a chunk body as it streams, after checking the gzip magic bytes. zlib's errors
 * (`Z_DATA_ERROR`, `Z_BUF_ERROR` for a truncated member…) become {@link CorruptGzipError}; errors
 * of the source itself (network) pass through unchanged so the caller can retry them.
 * An empty body yields nothing.
 */
export async function* gunzipChunk(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const source = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await source.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  if (head.length === 0) return;
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    await source.return?.();
    throw new NotGzipError(
      `Object is not gzip (starts with 0x${head.subarray(0, 4).toString('hex')}); the chunk contract requires a gzip body`,
    );
  }
  const rest = Readable.from(
    (async function* () {
      yield head;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
    })(),
    { objectMode: false },
  );
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  rest.on('error', (error) => gunzip.destroy(error));
  rest.pipe(gunzip);
  try {
    for await (const buf of gunzip) yield buf as Buffer;
  } catch (error) {
    if (isZlibError(error)) {
      throw new CorruptGzipError(`Object is not valid gzip: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    rest.destroy();
    gunzip.destroy();
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
