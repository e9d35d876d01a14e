import { availableParallelism } from 'node:os';
import zlib from 'node:zlib';

/**
 * A few long-lived gzip streams, each turning one body at a time into one complete gzip member
 * (write, `Z_FINISH`, `reset()`), byte for byte what `zlib.gzip()` makes. A new `zlib.gzip()`
 * per chunk allocated a new deflate state and new output buffers each time, which V8 frees only
 * when it gets round to collecting them: hundreds of megabytes went through the heap that way.
 * Bodies on different streams compress in parallel on the thread pool.
 */
export class GzipPool {
  readonly #streams: GzipMemberStream[];

  constructor(level: number, size = Math.min(4, availableParallelism())) {
    this.#streams = Array.from({ length: Math.max(1, size) }, () => new GzipMemberStream(level));
  }

  /** The gzip of `body`; `body` must not change until this resolves. */
  compress(body: Buffer): Promise<Buffer> {
    const stream = this.#streams.reduce((a, b) => (b.queued < a.queued ? b : a));
    return stream.compress(body);
  }

  close(): void {
    for (const stream of this.#streams) stream.close();
  }
}

const OUTPUT_PIECE_BYTES = 64 * 1024;

class GzipMemberStream {
  readonly #level: number;
  #gzip: zlib.Gzip;
  #pieces: Buffer[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  queued = 0;

  constructor(level: number) {
    this.#level = level;
    this.#gzip = this.#open();
  }

  compress(body: Buffer): Promise<Buffer> {
    this.queued++;
    const result = this.#chain.then(() => this.#member(body));
    this.#chain = result.catch(() => undefined).finally(() => this.queued--);
    return result;
  }

  close(): void {
    this.#gzip.close();
  }

  #open(): zlib.Gzip {
    const gzip = zlib.createGzip({ level: this.#level, chunkSize: OUTPUT_PIECE_BYTES });
    gzip.on('data', (piece: Buffer) => this.#pieces.push(piece));
    return gzip;
  }

  #member(body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const gzip = this.#gzip;
      const fail = (error: Error) => {
        // A stream that failed is not reused.
        this.#pieces = [];
        this.#gzip = this.#open();
        reject(error);
      };
      gzip.once('error', fail);
      gzip.write(body);
      gzip.flush(zlib.constants.Z_FINISH, () => {
        gzip.off('error', fail);
        const member = Buffer.concat(this.#pieces);
        this.#pieces = [];
        // Documented on every zlib stream (https://nodejs.org/api/zlib.html#zlibreset), typed only on some.
        (gzip as zlib.Gzip & zlib.ZlibReset).reset();
        resolve(member);
      });
    });
  }
}
