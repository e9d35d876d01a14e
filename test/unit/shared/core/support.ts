/** Small test helpers for the pure core: no module state, every helper returns fresh values. */

/** The seeded PRNG (testkit's one) so "random" chunk boundaries are reproducible when a test fails. */
export { seededRandom } from '../../../../testkit/index.js';

/** Cuts `bytes` at the given offsets (sorted, deduplicated, inside the buffer). */
export function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets)].filter((o) => o > 0 && o < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Cuts `bytes` into pieces of random length in [1, maxPiece] using a seeded PRNG. */
export function randomPieces(bytes: Buffer, random: () => number, maxPiece: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(bytes.subarray(start, start + size));
    start += size;
  }
  return pieces;
}

/** An S3 body as the SDK hands it over: an async iterable of buffers. */
export async function* bodyOf(pieces: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield piece;
}

export async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const buf of source) out.push(buf);
  return Buffer.concat(out);
}
