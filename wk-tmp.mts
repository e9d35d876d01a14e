import { readFileSync } from 'node:fs';
import { WorkerFraming } from './shared/shipper/worker-framing.js';
import { Framer } from './shared/shipper/framer.js';
import { SCRUB_RULES } from './shared/core/scrub/index.js';
const buf = readFileSync('.local/bench/print-200mb-seed42-v4.log').subarray(0, 64 << 20);
const MB = buf.length / 1048576;
const secrets = ['HF_TOKEN', 'WANDB_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].map((name, i) => ({ name, value: `v${i}-Zq8kP2mX7nR4tY9wB3cF6hJ1` }));
async function run(mode: 'worker' | 'inline', redact: boolean) {
  const opts = { maxChunkBytes: 1 << 20, flushIntervalMs: 1e9, maxLineBytes: 256 * 1024, gzipLevel: 6, firstLine: 0, redact: redact ? { patterns: true, secrets } : undefined };
  const c0 = process.cpuUsage();
  let chunks = 0;
  if (mode === 'worker') {
    const w = new WorkerFraming({ ...opts, maxBufferedBytes: 64 << 20, onChunk: () => void chunks++, onError: (e) => { throw e; } });
    for (let o = 0; o < buf.length; o += 65536) w.write('stdout', buf.subarray(o, o + 65536), Date.now());
    await w.end();
  } else {
    const f = new Framer({ ...opts, onChunk: () => void chunks++, onError: (e) => { throw e; } });
    for (let o = 0; o < buf.length; o += 65536) f.write('stdout', buf.subarray(o, o + 65536), Date.now());
    await f.end();
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / MB;
}
const res: Record<string, number[]> = {};
for (let r = 0; r < 5; r++) for (const mode of ['inline', 'worker'] as const) for (const redact of [false, true]) (res[`${mode} ${redact ? 'scrub' : 'off'}`] ??= []).push(await run(mode, redact));
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(14), v.sort((a, b) => a - b)[2]!.toFixed(2), 'CPU ms/MiB (median)');
