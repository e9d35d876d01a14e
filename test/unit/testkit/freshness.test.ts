import { describe, expect, it } from 'vitest';
import { FreshnessProber, type FreshnessSearch } from '../../../testkit/index.js';

describe('FreshnessProber', () => {
  it('records searchable − printed for each probe an answer contains, once, and keeps the rest outstanding', async () => {
    const answers = [['a'], ['a', 'b']];
    const search: FreshnessSearch<string> = async () => (answers.shift() ?? []).map((key) => ({ key }));
    const prober = new FreshnessProber(search);
    const printedAt = Date.now() - 1000;
    prober.add('a', printedAt);
    prober.add('b', printedAt);
    prober.add('c', printedAt);
    await prober.poll();
    await prober.poll();
    expect(prober.found.map((f) => f.key)).toEqual(['a', 'b']);
    expect(prober.found.every((f) => f.ms >= 1000)).toBe(true);
    expect(prober.outstanding).toBe(1);
    expect(prober.searches).toBe(2);
  });

  it('takes the print time from the answer when the probe did not know it, and counts failed searches', async () => {
    let fail = true;
    const prober = new FreshnessProber<number>(async () => {
      if (fail) throw new Error('HTTP 500');
      return [{ key: 7, printedAt: Date.now() - 250 }];
    });
    prober.add(7);
    await prober.poll();
    expect(prober).toMatchObject({ errors: 1, lastError: 'Error: HTTP 500' });
    fail = false;
    await prober.poll();
    expect(prober.found[0]!.ms).toBeGreaterThanOrEqual(250);
  });
});
