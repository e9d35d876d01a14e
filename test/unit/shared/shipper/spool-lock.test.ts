import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, SpoolLock, SpoolLockedError } from '../../../../shared/shipper/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'joblogs-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, LOCK_FILE);
/** The pid of a process that has exited (and was reaped). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('SpoolLock', () => {
  it('is held until released, then free again', async () => {
    const lock = await SpoolLock.acquire(dir);
    await expect(SpoolLock.acquire(dir)).rejects.toThrow(SpoolLockedError);
    await lock.release();
    await (await SpoolLock.acquire(dir)).release();
  });

  it('refuses while a live process on this host holds it, naming it', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid, host: hostname() }));
    const error = await SpoolLock.acquire(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpoolLockedError);
    expect((error as SpoolLockedError).holder).toEqual({ pid: process.ppid, host: hostname() });
  });

  it('takes over the lock of a process that died without releasing it (SIGKILL)', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: deadPid(), host: hostname() }));
    await (await SpoolLock.acquire(dir)).release();
  });

  it("takes over a lock naming its own pid that it does not hold (a restarted container's PID 1)", async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, host: hostname() }));
    await (await SpoolLock.acquire(dir)).release();
  });

  it("trusts another host's lock while it is being touched, and takes it over once it is not", async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: 1, host: 'another-container' }));
    await expect(SpoolLock.acquire(dir)).rejects.toThrow(/pid 1 on another-container/);
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFile(), longAgo, longAgo);
    await (await SpoolLock.acquire(dir)).release();
  });
});
