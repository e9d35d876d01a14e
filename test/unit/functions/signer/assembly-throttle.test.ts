import { describe, expect, it } from 'vitest';
import { AssemblyThrottle } from '../../../../functions/signer/assembly-throttle.js';

describe('AssemblyThrottle', () => {
  it('remembers when each job was last requested', () => {
    const throttle = new AssemblyThrottle();
    expect(throttle.lastRequestedAt('job-1')).toBeUndefined();
    throttle.recordRequest('job-1', 1_000);
    throttle.recordRequest('job-1', 31_000);
    expect(throttle.lastRequestedAt('job-1')).toBe(31_000);
  });

  it('forgets the least recently requested job beyond its bound', () => {
    const throttle = new AssemblyThrottle(2);
    throttle.recordRequest('a', 1);
    throttle.recordRequest('b', 2);
    throttle.recordRequest('a', 3);
    throttle.recordRequest('c', 4);
    expect(throttle.lastRequestedAt('b')).toBeUndefined();
    expect(throttle.lastRequestedAt('a')).toBe(3);
    expect(throttle.lastRequestedAt('c')).toBe(4);
  });
});
