import { describe, expect, it } from 'vitest';
import { PartClock } from '../../../../functions/assembler/part-clock.js';
import { DeadlineError } from '../../../../shared/core/errors.js';

describe("an archive build's clock", () => {
  it('stops after the part when another one like it would end past the deadline', () => {
    const time = { now: 0 };
    const clock = new PartClock(() => time.now, 25_000, 30_000);
    time.now = 10_000; // the first part took 10 s: the next would end at 20 s
    expect(clock.partDone()).toBe(false);
    time.now = 16_000; // 6 s: the next would end at 22 s
    expect(clock.partDone()).toBe(false);
    time.now = 24_000; // 8 s: the next would end at 32 s, past 25 s
    expect(clock.partDone()).toBe(true);
  });

  it('fails between parts only past the deadline plus half the headroom', () => {
    const time = { now: 0 };
    const clock = new PartClock(() => time.now, 25_000, 30_000);
    time.now = 39_999;
    expect(() => clock.checkHard('job-1')).not.toThrow();
    time.now = 40_000;
    expect(() => clock.checkHard('job-1')).toThrow(DeadlineError);
  });
});
