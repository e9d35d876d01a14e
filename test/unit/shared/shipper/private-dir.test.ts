import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSpoolRoot, ensurePrivateDir, SpoolError } from '../../../../shared/shipper/index.js';

/** Another local user: `nobody`. Only root can give it a directory, as an attacker would own one. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let base: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'joblogs-private-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('defaultSpoolRoot', () => {
  it("is the user's runtime directory, else the user's cache — never a shared temp directory", () => {
    expect(defaultSpoolRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/home/a')).toBe('/run/user/1000/joblogs');
    expect(defaultSpoolRoot({}, '/home/a')).toBe('/home/a/.cache/joblogs/spool');
    expect(defaultSpoolRoot({ XDG_CACHE_HOME: '/data/cache' }, '/home/a')).toBe('/data/cache/joblogs/spool');
    expect(defaultSpoolRoot({ XDG_RUNTIME_DIR: 'relative' }, '/home/a')).toBe('/home/a/.cache/joblogs/spool');
  });
});

describe('ensurePrivateDir', () => {
  it('creates the path 0700, and closes an own directory that was open to others', async () => {
    const root = path.join(base, 'spool');
    await ensurePrivateDir(root, path.join(root, 'job-1', 'main'));
    for (const dir of [root, path.join(root, 'job-1'), path.join(root, 'job-1', 'main')]) expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(root, 0o755);
    await ensurePrivateDir(root, path.join(root, 'job-1', 'main'));
    expect(statSync(root).mode & 0o777).toBe(0o700);
  });

  it('creates missing directories above the root privately too (a fresh home without ~/.cache)', async () => {
    const root = path.join(base, 'home', '.cache', 'joblogs', 'spool');
    await ensurePrivateDir(root, path.join(root, 'job-1'));
    for (const dir of [path.join(base, 'home'), path.join(base, 'home', '.cache'), root, path.join(root, 'job-1')])
      expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a symbolic link placed where the spool goes, naming the path', async () => {
    const root = path.join(base, 'spool');
    mkdirSync(path.join(base, 'elsewhere'));
    symlinkSync(path.join(base, 'elsewhere'), root);
    await expect(ensurePrivateDir(root, path.join(root, 'job-1'))).rejects.toThrow(new RegExp(`${root}.*symbolic link`));
  });

  it.runIf(asRoot)('refuses a symbolic link above the spool that another user placed, and trusts one only root could have', async () => {
    mkdirSync(path.join(base, 'real'));
    symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
    await expect(ensurePrivateDir(path.join(base, 'link', 'spool'), path.join(base, 'link', 'spool'))).resolves.toBeUndefined();
    lchownSync(path.join(base, 'link'), NOBODY, NOBODY);
    await expect(ensurePrivateDir(path.join(base, 'link', 'spool2'), path.join(base, 'link', 'spool2'))).rejects.toThrow(SpoolError);
  });

  it.runIf(asRoot)('refuses a directory another user created first (pre-created to read or plant chunks)', async () => {
    const root = path.join(base, 'spool');
    mkdirSync(path.join(root, 'job-1'), { recursive: true, mode: 0o777 });
    chownSync(path.join(root, 'job-1'), NOBODY, NOBODY);
    await expect(ensurePrivateDir(root, path.join(root, 'job-1', 'main'))).rejects.toThrow(
      new RegExp(`${path.join(root, 'job-1')} belongs to another user \\(uid ${NOBODY}\\)`),
    );
  });

  it.runIf(asRoot)('refuses a parent another user owns, or one others may write that is not sticky', async () => {
    const theirs = path.join(base, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, NOBODY, NOBODY);
    await expect(ensurePrivateDir(path.join(theirs, 'spool'), path.join(theirs, 'spool'))).rejects.toThrow(/belongs to another user/);
    const open = path.join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(ensurePrivateDir(path.join(open, 'spool'), path.join(open, 'spool'))).rejects.toThrow(/writable by other users and not sticky/);
    chmodSync(open, 0o1777);
    await expect(ensurePrivateDir(path.join(open, 'spool'), path.join(open, 'spool'))).resolves.toBeUndefined();
  });
});
