/**
 * The benchmarks' synthetic log from the command line (the generator is testkit/synthetic-log.ts):
 *
 *   tsx bench/synthetic-log.ts --mb 100 [--seed 42] [--out file.log.gz]     # one gzip file (cached fixture without --out)
 *   tsx bench/synthetic-log.ts --mb 24 --chunks 4 [--seed 42] [--out dir]   # as gzip chunks, one .log.gz each
 */
import { parseArgs } from 'node:util';
import { MB, writeGzipLog } from '../testkit/index.js';
import { chunkFixture, cpuFixture } from '../testkit/bench/index.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '100' }, seed: { type: 'string', default: '42' }, chunks: { type: 'string' }, out: { type: 'string' } },
});
const mb = Number(values.mb);
const seed = Number(values.seed);
if (!(mb > 0) || !Number.isInteger(seed)) throw new Error('usage: synthetic-log.ts --mb <MiB> [--seed <int>] [--chunks <n>] [--out <path>]');
if (values.chunks) {
  console.log(chunkFixture({ mb, count: Number(values.chunks), seed, ...(values.out ? { dir: values.out } : {}) }));
} else if (values.out) {
  await writeGzipLog(values.out, { seed, totalBytes: mb * MB });
  console.log(values.out);
} else {
  console.log(await cpuFixture(mb, seed));
}
