/** A Python tool pinned in a venv of its own under `.local/`, installed on first use, so the machine's Python stays untouched. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FINGERPRINT_FILE = '.joblogs-fingerprint';

/**
 * The tool's binary in `venv`, creating the venv and `pip install`ing `requirement` first if it
 * is not there. `requirement` may be several pip arguments (`['-e', dir]`); with a
 * `fingerprint` (say, a hash of the package's pyproject.toml) the install is redone whenever it
 * changes.
 *
 * @example
 * const bin = ensureVenvTool({ venv: path.join(LOCAL_DIR, 'venv'), requirement: 'moto[server]==5.2.5', bin: 'moto_server' });
 */
export function ensureVenvTool(o: { venv: string; requirement: string | readonly string[]; bin: string; fingerprint?: string }): string {
  const bin = path.join(o.venv, 'bin', o.bin);
  const stamp = path.join(o.venv, FINGERPRINT_FILE);
  const current = o.fingerprint === undefined || (existsSync(stamp) && readFileSync(stamp, 'utf8') === o.fingerprint);
  if (existsSync(bin) && current) return bin;
  const requirement = typeof o.requirement === 'string' ? [o.requirement] : [...o.requirement];
  console.log(`[stack] ${existsSync(bin) ? 'updating' : 'creating'} ${path.basename(o.venv)} for ${requirement.join(' ')}`);
  if (!existsSync(path.join(o.venv, 'bin', 'pip'))) {
    try {
      execFileSync('python3', ['-m', 'venv', o.venv], { stdio: 'inherit' });
    } catch (cause) {
      throw new Error('python3 -m venv failed; on Debian install python3-venv', { cause });
    }
  }
  execFileSync(path.join(o.venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', ...requirement], { stdio: 'inherit' });
  if (o.fingerprint !== undefined) writeFileSync(stamp, o.fingerprint);
  return bin;
}
