import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_DIR } from '../paths.js';

/**
 * Runs `fn` holding `.local/<name>.lock` (a directory: mkdir is atomic), so concurrent
 * `stack.ts up` / `sls package` runs — say `npm test` and a bare `vitest` in a second
 * terminal — do not start two Elasticsearch nodes on one data dir. A lock whose owner pid is
 * gone, or older than `staleMs`, was left by a killed run and is taken over.
 *
 * @example
 * await withLock('sls-package', () => execFileSync('sls', ['package']));
 */
export async function withLock<T>(name: string, fn: () => Promise<T> | T, { timeoutMs = 600_000, staleMs = 600_000 } = {}): Promise<T> {
  const lock = path.join(LOCAL_DIR, `${name}.lock`);
  mkdirSync(LOCAL_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && (Date.now() - held.mtimeMs > staleMs || ownerGone(lock, held.mtimeMs))) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function ownerGone(lock: string, since: number): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Between mkdir and writing the pid, or written by an older version: judge by age.
    return Date.now() - since > 5_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
