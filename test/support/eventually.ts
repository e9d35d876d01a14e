/** Polls `probe` until `accept` holds (errors count as "not yet"); throws with the last value after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await Promise.resolve(probe()).catch(() => undefined as T);
    if (last !== undefined && accept(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}`);
}
