/**
 * What both benchmarks share: one child process per measured run (so one variant's heap never
 * inflates the other's peak RSS), interleaved rounds, and statistics on ratios.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, REPO_ROOT } from './synthetic-log.js';

export { RESULT_PREFIX, reportResult, type RunResult } from './result.js';
import { RESULT_PREFIX, type RunResult } from './result.js';

/**
 * Runs `script` in a fresh Node (the one running us, with tsx unless `script` is a bundled
 * `.mjs`) and returns its result. `nodeFlags` go before the script (e.g. `--cpu-prof`).
 */
export function runChild(script: string, args: string[], options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...loader, script, ...args], {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`${path.basename(script)} ${args.join(' ')} exited with ${code}:\n${out.slice(-4000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as RunResult);
    });
  });
}

/**
 * Bundles a benchmark script with esbuild (as the functions are bundled for Lambda), so a child's
 * peak RSS is the code's, without tsx's TypeScript transform in the process.
 */
export async function bundleForChild(script: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(BENCH_DIR, 'bundles', `${name}.mjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [script],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
  });
  return outfile;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export function formatSpread(s: Spread, digits: number, unit = ''): string {
  return `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** Prints rows as an aligned text table. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Keeps the raw results of a run under `.local/bench/results/` for later comparison. */
export function saveResults(name: string, data: unknown): string {
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function machineNote(): string {
  return `node ${process.version}, ${process.arch}, ${(globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? '?'} CPUs`;
}

export function requireNode24(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    console.error(`[bench] running on Node ${process.version}; the project targets Node 24: run through \`npm run bench\` or put node_modules/.bin first on PATH`);
  }
}
