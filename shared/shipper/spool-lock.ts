import { hostname } from 'node:os';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { SpoolError, SpoolLockedError } from './errors.js';

export const LOCK_FILE = 'joblogs.lock';

/** The lock file is touched this often while held… */
const HEARTBEAT_MS = 2_000;
/** …so one older than this, from another host (container), is a dead holder's. */
const STALE_MS = 10_000;

/** Lock files held by this process: our own pid in a lock file is only stale when it is not one of these. */
const heldHere = new Set<string>();

interface Holder {
  pid: number;
  host: string;
}

/**
 * One shipper per spool directory (job + source): a `joblogs.lock` file created exclusively,
 * naming its holder's pid and host, and touched every 2 s while held. A lock left by a dead
 * process is taken over: on the same host when that pid no longer runs (or is ours but not held
 * by this process: a restarted container's PID 1), from another host (a shared volume) when it has not been touched for 10 s.
 */
export class SpoolLock {
  readonly #file: string;
  readonly #heartbeat: NodeJS.Timeout;
  #released = false;

  private constructor(file: string) {
    this.#file = file;
    this.#heartbeat = setInterval(() => {
      const now = new Date();
      utimes(file, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  static async acquire(dir: string, me: Holder = { pid: process.pid, host: hostname() }): Promise<SpoolLock> {
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(me));
        } finally {
          await handle.close();
        }
        heldHere.add(file);
        return new SpoolLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new SpoolError(`Cannot lock spool directory ${dir}: ${(error as Error).message}`, { cause: error });
      }
      const holder = await readHolder(file);
      if (heldHere.has(file)) throw new SpoolLockedError(dir, me);
      if (holder ? await isAlive(file, holder, me) : await touchedWithin(file, HEARTBEAT_MS)) throw new SpoolLockedError(dir, holder);
      // A dead holder's lock: remove it and try again (another starter may win the race: then it is theirs).
      await unlink(file).catch(() => undefined);
    }
    throw new SpoolError(`Cannot lock spool directory ${dir}: the lock keeps changing hands`);
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#heartbeat);
    await unlink(this.#file).catch(() => undefined);
    heldHere.delete(this.#file);
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string') return { pid: value.pid, host: value.host };
  } catch {
    // Unreadable or half-written: judged by its age below.
  }
  return undefined;
}

async function isAlive(file: string, holder: Holder, me: Holder): Promise<boolean> {
  if (holder.host === me.host) {
    if (holder.pid === me.pid) return false;
    try {
      process.kill(holder.pid, 0);
      return true;
    } catch (error) {
      // EPERM: it runs, as another user.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return touchedWithin(file, STALE_MS);
}

async function touchedWithin(file: string, ms: number): Promise<boolean> {
  const touched = await stat(file).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - touched < ms;
}
