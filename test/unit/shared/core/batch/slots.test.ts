import { describe, expect, it } from 'vitest';
import { Slots } from '../../../../../shared/core/batch/index.js';

describe('Slots', () => {
  it('gives out at most its size at once and hands freed slots to waiters in arrival order', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    await slots.acquire();
    await slots.acquire();
    expect(slots.inUse).toBe(2);
    const a = slots.acquire().then(() => order.push('a'));
    const b = slots.acquire().then(() => order.push('b'));
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    await a;
    slots.release();
    await b;
    expect(order).toEqual(['a', 'b']);
    expect(slots.inUse).toBe(2);
    slots.release();
    slots.release();
    expect(slots.inUse).toBe(0);
  });

  it('refuses a size below one', () => {
    expect(() => new Slots(0)).toThrow(RangeError);
  });
});
