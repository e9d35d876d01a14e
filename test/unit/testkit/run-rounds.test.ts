import { afterEach, describe, expect, it, vi } from 'vitest';
import { runRounds } from '../../../testkit/bench/index.js';

describe('runRounds', () => {
  afterEach(() => vi.restoreAllMocks());

  it("interleaves the variants round by round and compares each run with the same round's baseline", async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const order: string[] = [];
    const ms: Record<string, number[]> = { base: [100, 200, 100], ours: [200, 200, 400] };
    const result = await runRounds({
      name: 'unit',
      variants: ['base', 'ours'] as const,
      baseline: 'base',
      rounds: 3,
      measure: async (variant, round) => (order.push(`${variant}${round}`), { ms: ms[variant]![round - 1]! }),
      columns: [{ label: 'ratio', value: (r, base) => base.ms / r.ms, digits: 2 }],
      aim: [{ variant: 'ours', column: 'ratio', atLeast: 0.5 }],
      save: false,
    });
    expect(order).toEqual(['base1', 'ours1', 'base2', 'ours2', 'base3', 'ours3']);
    expect(result.runs.filter((r) => r.variant === 'ours').map((r) => r.figures['ratio'])).toEqual([0.5, 1, 0.25]);
    expect(result.summary.find((s) => s.variant === 'ours')!.figures['ratio']).toEqual({ median: 0.5, min: 0.25, max: 1 });
    expect(result.met).toBe(true);
  });

  it('judges an aim on the max when asked, and runs an unmeasured warm-up round first', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const rounds: number[] = [];
    const result = await runRounds({
      name: 'unit',
      variants: ['only'] as const,
      baseline: 'only',
      rounds: 2,
      warmup: true,
      measure: async (_variant, round) => (rounds.push(round), { rss: round === 2 ? 80 : 40 }),
      columns: [{ label: 'rss', value: (r) => r.rss, digits: 0 }],
      aim: [{ variant: 'only', column: 'rss', atMost: 64, stat: 'max' }],
      save: false,
    });
    expect(rounds).toEqual([0, 1, 2]);
    expect(result.runs).toHaveLength(2);
    expect(result.met).toBe(false);
  });
});
