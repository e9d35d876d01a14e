import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processCpuSeconds } from '../../../testkit/bench/process-cpu.js';

/** Spins until it has used 300 ms of CPU by its own count, says so, then idles until killed. */
const SPINNER = `
const spin = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const from = spin();
while (spin() - from < 300);
process.stdout.write('spun');
setTimeout(() => {}, 60_000);
`;

describe('processCpuSeconds', () => {
  it('reads the CPU another process has spent, and not the time it idled', async () => {
    const child = spawn(process.execPath, ['-e', SPINNER], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const atStart = processCpuSeconds(child.pid!);
      await once(child.stdout!, 'data');
      const afterSpin = processCpuSeconds(child.pid!);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const afterIdle = processCpuSeconds(child.pid!);
      // The spin (300 ms) plus Node's start, to the clock tick.
      expect(afterSpin - atStart).toBeGreaterThanOrEqual(0.29);
      expect(afterSpin - atStart).toBeLessThan(2);
      // Half a second asleep costs next to nothing.
      expect(afterIdle - afterSpin).toBeLessThan(0.1);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('refuses a process that is not there', () => {
    expect(() => processCpuSeconds(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
