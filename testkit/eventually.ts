/**
 * Polls `probe` until `accept` holds (errors count as "not yet"); throws with the last value and
 * error after `timeoutMs`.
 *
 * @example
 * await eventually(() => countJobDocuments(stack, dataStream, jobId), (n) => n === 3, 'three documents');
 */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const error = lastError ? `; last error: ${String(lastError)}` : '';
  throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}${error}`);
}
