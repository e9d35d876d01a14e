/**
 * Preloaded into a measured Node process (`node --import ./bench/shipper-exit-usage.mjs …`): on
 * exit it writes that process's own `process.resourceUsage()` (peak RSS, CPU) to the file named
 * by BENCH_USAGE_FILE. Loaded as a node flag, not through NODE_OPTIONS, so the processes it
 * spawns (the job) are not measured with it. Plain JavaScript on purpose: a `.ts` preload makes
 * Node load its type stripper, which adds ~17 MiB to the very RSS being measured.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.once('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, userUs: usage.userCPUTime, systemUs: usage.systemCPUTime }));
  });
}
