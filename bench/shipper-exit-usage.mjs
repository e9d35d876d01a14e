/**
 * Preloaded into a measured Node process (`node --import ./bench/shipper-exit-usage.mjs …`): on
 * exit it writes that process's own `process.resourceUsage()` (peak RSS, CPU) to the file named
 * by BENCH_USAGE_FILE. Loaded as a node flag, not through NODE_OPTIONS, so the processes it
 * spawns (the job) are not measured with it. Plain JavaScript on purpose: a `.ts` preload makes
 * Node load its type stripper, which adds ~17 MiB to the very RSS being measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak RSS of this process image: VmHWM where Linux has it. getrusage's maxRSS is not: a spawned
 * process starts as a fork of its parent and keeps the parent's peak RSS at fork time through the
 * exec (https://man7.org/linux/man-pages/man2/getrusage.2.html), so a measured process could
 * never look smaller than the benchmark that spawned it (~90 MiB here).
 */
function peakRssKb(usage) {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // Not Linux.
  }
  return usage.maxRSS;
}

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.once('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: peakRssKb(usage), rusageMaxRssKb: usage.maxRSS, userUs: usage.userCPUTime, systemUs: usage.systemCPUTime }));
  });
}
