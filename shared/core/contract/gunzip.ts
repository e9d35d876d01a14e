import { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { GZIP_MAGIC, MAX_CHUNK_BYTES } from './constants.js';
import { ChunkTooLargeError, CorruptGzipError, NotGzipError } from '../errors.js';

/**
 * zlib drops the output of the write that fails, so a corrupt tail (wrong CRC, trailing garbage,
 * a cut upload) would take the last lines before it along — all of a small chunk. To hand those
 * lines over before refusing the chunk, the compressed input is kept up to this size and its
 * readable head decoded again (see {@link readableHead}); bigger chunks may lose their last lines.
 */
const RECOVERY_MAX_INPUT = 4 * 1024 * 1024;
/** Recovery decodes from the start: only when what was already handed over is this small. */
const RECOVERY_MAX_OUTPUT = 8 * 1024 * 1024;
/** zlib's output buffer: the most a failed write can have produced and not handed over. */
const ZLIB_CHUNK = 64 * 1024;

/**
 * Decompresses a chunk body as it streams, after checking the gzip magic bytes. zlib's errors
 * (`Z_DATA_ERROR`, `Z_BUF_ERROR` for a truncated member…) become {@link CorruptGzipError}, after
 * everything readable before the corruption has been yielded; errors of the source itself
 * (network) pass through unchanged so the caller can retry them. An empty body yields nothing.
 * At most `maxBytes` are yielded (the contract's bound, `MAX_CHUNK_BYTES`): a body that inflates
 * to more — a gzip bomb — yields its first `maxBytes` and then throws {@link ChunkTooLargeError},
 * never holding more than zlib's 64 KiB output buffer beyond what the caller takes.
 */
export async function* gunzipChunk(body: AsyncIterable<Buffer>, maxBytes = MAX_CHUNK_BYTES): AsyncGenerator<Buffer> {
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
    throw new NotGzipError(`Object is not gzip (starts with 0x${head.subarray(0, 4).toString('hex')}); the chunk contract requires a gzip body`);
  }
  let kept: Buffer[] | undefined = [];
  let keptBytes = 0;
  const keep = (buf: Buffer): Buffer => {
    keptBytes += buf.length;
    if (kept && keptBytes <= RECOVERY_MAX_INPUT) kept.push(buf);
    else kept = undefined;
    return buf;
  };
  const rest = Readable.from(
    (async function* () {
      yield keep(head);
      for (let next = await source.next(); !next.done; next = await source.next()) yield keep(next.value);
    })(),
    { objectMode: false },
  );
  const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK });
  rest.on('error', (error) => gunzip.destroy(error));
  rest.pipe(gunzip);
  let yielded = 0;
  try {
    for await (const out of gunzip) {
      const buf = out as Buffer;
      if (yielded + buf.length > maxBytes) {
        yield buf.subarray(0, maxBytes - yielded);
        throw new ChunkTooLargeError(`Chunk inflates to more than ${maxBytes} bytes (the contract's bound); the rest is not read`, { details: { maxBytes } });
      }
      yielded += buf.length;
      yield buf;
    }
  } catch (error) {
    if (!isZlibError(error)) throw error;
    if (kept && yielded <= RECOVERY_MAX_OUTPUT) {
      const readable = readableHead(Buffer.concat(kept), yielded + ZLIB_CHUNK);
      if (readable.length > yielded) yield readable.subarray(yielded);
    }
    throw new CorruptGzipError(`Object is not valid gzip: ${(error as Error).message}`, { cause: error });
  } finally {
    rest.destroy();
    gunzip.destroy();
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Everything a gzip stream decodes to before its first error (at most `maxOutput` bytes): the
 * output of its longest prefix that zlib reads without error. A prefix only ever lacks bytes, so
 * "decodes without error" holds up to the corruption and not after: a binary search finds it.
 */
export function readableHead(input: Buffer, maxOutput: number): Buffer {
  const decode = (n: number): Buffer | undefined => {
    try {
      return gunzipSync(input.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxOutput });
    } catch {
      return undefined;
    }
  };
  let lo = 0;
  let hi = input.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (decode(mid)) lo = mid;
    else hi = mid - 1;
  }
  return decode(lo) ?? Buffer.alloc(0);
}
