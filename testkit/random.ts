/**
 * The one seeded PRNG of tests, benchmarks and the load run (sfc32): the same seed gives the same
 * sequence on every machine, so a failing "random" test, a benchmark fixture and a load mix can be
 * reproduced. Not for anything secret.
 *
 * @example
 * const random = seededRandom(42);
 * const cut = Math.floor(random() * bytes.length);   // random() is in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 17);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}
