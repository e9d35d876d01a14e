/** A Python tool pinned in a venv of its own under `.local/`, installed on first use, so the machine's Python stays untouched. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The tool's binary in `venv`, creating the venv and `pip install`ing `requirement` first if it
 * is not there.
 *
 * @example
 * const bin = ensureVenvTool({ venv: path.join(LOCAL_DIR, 'venv'), requirement: 'moto[server]==5.2.5', bin: 'moto_server' });
 */
export function ensureVenvTool(o: { venv: string; requirement: string; bin: string }): string {
  const bin = path.join(o.venv, 'bin', o.bin);
  if (existsSync(bin)) return bin;
  console.log(`[stack] creating ${path.basename(o.venv)} for ${o.requirement}`);
  if (!existsSync(path.join(o.venv, 'bin', 'pip'))) {
    try {
      execFileSync('python3', ['-m', 'venv', o.venv], { stdio: 'inherit' });
    } catch (cause) {
      throw new Error('python3 -m venv failed; on Debian install python3-venv', { cause });
    }
  }
  execFileSync(path.join(o.venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', o.requirement], { stdio: 'inherit' });
  return bin;
}
