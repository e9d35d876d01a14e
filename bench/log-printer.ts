/**
 * The "job" the shipper benchmarks wrap: a plain Node program (no tsx, no imports of ours, so it
 * starts in ~40 ms and costs the same under every variant) that prints a log to stdout.
 *
 *   node bench/log-printer.ts dump <file> [--block 65536] [--spin 0]
 *       writes the file's bytes (a cached synthetic log) to stdout in `--block`-byte writes,
 *       honouring backpressure; `--spin N` burns N rounds of deterministic CPU work per MiB
 *       written, a stand-in for the training step between two log bursts.
 *   node bench/log-printer.ts rate --lines-per-s 200 --seconds 30
 *       one pino-style JSON line per tick, each carrying its print time (`time`, epoch ms) and
 *       its number (`probe`), written one line per write like an unbuffered Python logger.
 *
 * With BENCH_PRINTER_REPORT=<file>, writes `{"startedAt","endedAt","bytes","lines"}` there on
 * exit (epoch ms): the program's own run time, apart from whatever wraps it.
 * Runs with Node's built-in type stripping: keep the syntax erasable.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

const startedAt = Date.now();
let bytes = 0;
let lines = 0;

function report(): void {
  const file = process.env['BENCH_PRINTER_REPORT'];
  if (file) writeFileSync(file, JSON.stringify({ startedAt, endedAt: Date.now(), bytes, lines }));
}

function write(data: Buffer | string): Promise<void> {
  const ok = process.stdout.write(data);
  return ok ? Promise.resolve() : new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Deterministic CPU work the JIT cannot drop (its result is checked). */
function spin(rounds: number): number {
  let x = 0x9e3779b9;
  for (let i = 0; i < rounds * 1000; i++) x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i;
  return x;
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function dump(file: string, blockBytes: number, spinPerMb: number): Promise<void> {
  const fd = openSync(file, 'r');
  let sinceSpin = 0;
  let sink = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(blockBytes);
      const n = readSync(fd, buf, 0, blockBytes, null);
      if (n === 0) break;
      const block = buf.subarray(0, n);
      lines += countLines(block);
      bytes += n;
      await write(block);
      sinceSpin += n;
      if (spinPerMb > 0 && sinceSpin >= 1024 * 1024) {
        sinceSpin -= 1024 * 1024;
        sink ^= spin(spinPerMb);
      }
    }
  } finally {
    closeSync(fd);
  }
  if (sink === 0.5) console.error('unreachable');
}

async function rate(linesPerS: number, seconds: number): Promise<void> {
  const total = Math.round(linesPerS * seconds);
  const started = performance.now();
  for (let probe = 0; probe < total; probe++) {
    const due = started + (probe * 1000) / linesPerS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const line = `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, probe, msg: `freshness probe ${probe}: epoch 3 step ${1000 + probe} loss=0.4213 lr=3.00e-4` })}\n`;
    bytes += Buffer.byteLength(line);
    lines++;
    await write(line);
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => {
    const i = rest.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(rest[i + 1]);
  };
  if (mode === 'dump' && rest[0]) await dump(rest[0], flag('block', 64 * 1024), flag('spin', 0));
  else if (mode === 'rate') await rate(flag('lines-per-s', 200), flag('seconds', 30));
  else throw new Error('usage: log-printer.ts dump <file> [--block n] [--spin n] | rate [--lines-per-s n] [--seconds n]');
  report();
}

await main();
