/** How benchmarks report: an aligned table on stdout, and the raw results as JSON under `.local/bench/results/`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR } from '../paths.js';

/** Fixtures, bundles, profiles and results of the benchmarks (git-ignored). */
export const BENCH_DIR = path.join(LOCAL_DIR, 'bench');

/** Prints rows as an aligned text table (first column left-aligned, the rest right-aligned). */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Keeps the raw results of a run under `.local/bench/results/<name>-<time>.json`; returns the file. */
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
    console.error(
      `[bench] running on Node ${process.version}; the project targets Node 24: run through \`npm run bench\` or put node_modules/.bin first on PATH`,
    );
  }
}
