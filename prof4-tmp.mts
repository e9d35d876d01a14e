import { readFileSync } from 'node:fs';
import { SCRUB_RULES } from './shared/core/scrub/index.js';
import { Prefilter } from './shared/core/scrub/prefilter.js';
const buf = readFileSync('.local/bench/print-200mb-seed42-v4.log').subarray(0, 64 << 20);
const MB = buf.length / 1048576;
const texts: string[] = [];
for (let o = 0; o < buf.length; o += 65536) texts.push(buf.toString('latin1', o, o + 65536));
const ci = SCRUB_RULES.rules
  .filter((r) => r.flags.includes('i'))
  .flatMap((r) => r.triggers)
  .filter((t) => /[a-z]/i.test(t))
  .map((literal) => ({ literal, caseSensitive: false, mask: 1 }));
const p = new Prefilter(ci);
const best: number[] = [];
let n = 0;
for (let r = 0; r < 5; r++) {
  n = 0;
  const t0 = performance.now();
  for (const t of texts) p.find(t, () => n++);
  best.push(performance.now() - t0);
}
best.sort((a, b) => a - b);
console.log(process.argv[2], 'ci', (best[2]! / MB).toFixed(2), 'ms/MiB median', n);
