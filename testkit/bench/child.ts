/**
 * One child process per measured run, so one variant's heap never inflates the other's peak RSS:
 * the parent spawns, the child measures its own section and prints one result line
 * ({@link reportResult}, ./result.ts), the parent reads it.
 *
 * @example
 * // parent
 * const result = await runChild(SCRIPT, ['--child', 'baseline', '--file', file]);
 * // child (the same script with --child)
 * reportResult({ variant: 'baseline', ms: performance.now() - started, bytes });
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { BENCH_DIR } from './report.js';
import { RESULT_PREFIX, type RunResult } from './result.js';

/**
 * Runs `script` in a fresh Node (the one running us, with tsx unless `script` is a bundled
 * `.mjs`) and returns its result. `nodeFlags` go before the script (e.g. `--cpu-prof`).
 */
export function runChild(script: string, args: string[], options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const label = `${path.basename(script)} ${args.join(' ')}`;
  return runResultProcess(process.execPath, [...(options.nodeFlags ?? []), ...loader, script, ...args], { env: options.env, label });
}

/**
 * Runs any program that prints one result line (a Python baseline, say) and returns that result;
 * a non-zero exit or no result line is an error carrying the end of its output.
 */
export function runResultProcess(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; label?: string } = {}): Promise<RunResult> {
  const label = options.label ?? `${path.basename(command)} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`${label} exited with ${code}:\n${out.slice(-4000)}`));
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
  // Loaded on use: children import this module too, and esbuild is not part of what they measure.
  const { bundleForNode } = await import('../../cli/build.js');
  const outfile = path.join(BENCH_DIR, 'bundles', `${name}.mjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  return bundleForNode(script, outfile);
}
