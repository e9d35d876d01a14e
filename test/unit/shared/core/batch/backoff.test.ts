import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../../../shared/core/batch/index.js';
import { seededRandom } from '../support.js';

const policy = { baseMs: 100, maxMs: 5_000 };

describe('backoffDelay', () => {
  it('can be zero (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('doubles its ceiling with every attempt', () => {
    const top = () => 0.999999999;
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, top))).toEqual([99, 199, 399, 799, 1599, 3199]);
  });

  it('never exceeds the maximum, however many attempts', () => {
    for (const attempt of [6, 10, 30, 31, 1_000, Number.MAX_SAFE_INTEGER]) {
      const delay = backoffDelay(attempt, policy, () => 0.999999999);
      expect(delay).toBeLessThan(policy.maxMs);
      expect(delay).toBeGreaterThanOrEqual(policy.maxMs - 1);
    }
  });

  it('scales the ceiling by the random draw', () => {
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
  });

  it('returns whole milliseconds within [0, ceiling) for any draw (seeded)', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 1_000; i++) {
      const attempt = i % 12;
      const delay = backoffDelay(attempt, policy, random);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
    }
  });

  it('uses Math.random when no source of randomness is given', () => {
    const delay = backoffDelay(1, policy);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(200);
  });
});
