import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when `pid` is alive and its command line contains `marker` (guards against pid reuse). */
export function isOurProcess(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/**
 * Stops a process group we started detached (its pgid is its pid): SIGTERM, then SIGKILL after
 * `graceMs`. Elasticsearch's launcher forks the server JVM, so the whole group has to go.
 */
export async function stopProcessGroup(pid: number, marker: string, graceMs = 30_000): Promise<void> {
  if (!isOurProcess(pid, marker)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker) && !groupAlive(pid)) return;
    await sleep(250);
  }
  signalGroup(pid, 'SIGKILL');
  while (groupAlive(pid)) await sleep(100);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The first port from `preferred` upwards (at most `tries`) that nothing listens on. */
export async function pickFreePort(preferred: number, tries = 20): Promise<number> {
  for (let port = preferred; port < preferred + tries; port++) {
    if (!(await portInUse(port))) return port;
  }
  throw new Error(`No free port in ${preferred}..${preferred + tries - 1}`);
}

/** Polls `probe` until it resolves true or `timeoutMs` passes; `describe` names what we wait for. */
export async function waitFor(
  describe: string,
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 500, alive }: { timeoutMs: number; intervalMs?: number; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    if (alive && !alive()) throw new Error(`${describe}: the process exited while starting`);
    await sleep(intervalMs);
  }
  throw new Error(`${describe}: not ready after ${timeoutMs} ms`);
}

/** Pids (ascending) of live processes whose command line contains `needle`, with their arguments. */
export function findProcesses(needle: string): Array<{ pid: number; args: string[] }> {
  const found: Array<{ pid: number; args: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.some((a) => a.includes(needle))) found.push({ pid: Number(entry), args });
    } catch {
      /* exited meanwhile */
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}
