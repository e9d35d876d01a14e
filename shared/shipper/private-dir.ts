import { lstat, mkdir, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SpoolError } from './errors.js';

/**
 * The default spool root: the user's own runtime directory (`$XDG_RUNTIME_DIR/joblogs`, a
 * per-user 0700 directory), else the user's cache (`~/.cache/joblogs/spool`) — never a shared,
 * predictable place such as `/tmp`.
 */
export function defaultSpoolRoot(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env['XDG_RUNTIME_DIR'] && path.isAbsolute(env['XDG_RUNTIME_DIR'])) return path.join(env['XDG_RUNTIME_DIR'], 'joblogs');
  const cache = env['XDG_CACHE_HOME'] && path.isAbsolute(env['XDG_CACHE_HOME']) ? env['XDG_CACHE_HOME'] : path.join(home, '.cache');
  return path.join(cache, 'joblogs', 'spool');
}

const uid = () => process.getuid?.() ?? -1;
const STICKY = 0o1000;

/**
 * Makes `dir` (under `root`) a directory only this user can use, or refuses with an error that
 * names the path. Every existing component from `/` to `root` must be a directory owned by root
 * or by us — one that others may write must be sticky (as `/tmp` is) — and may be a symbolic link
 * only when it is owned by root and sits in a directory only root may write (`/var/run`).
 * `root` and everything below it down to `dir` must be real directories owned by us: missing ones
 * are created 0700, ones that are ours but open to others are closed to 0700. Missing components
 * above `root` (a fresh home without `~/.cache`) are created 0700 as well.
 */
export async function ensurePrivateDir(root: string, dir: string): Promise<void> {
  const absRoot = path.resolve(root);
  const absDir = path.resolve(dir);
  if (absDir !== absRoot && !absDir.startsWith(absRoot + path.sep)) throw new SpoolError(`Spool directory ${absDir} is not inside ${absRoot}`);
  for (const component of pathsTo(absRoot).slice(0, -1)) {
    if (await checkAncestor(component)) continue;
    await ensureOwned(component);
  }
  for (const component of pathsTo(absDir).filter((c) => c.length >= absRoot.length)) await ensureOwned(component);
}

/** `/a/b/c` → `['/', '/a', '/a/b', '/a/b/c']`. */
function pathsTo(p: string): string[] {
  const root = path.parse(p).root;
  const out = [root];
  for (const part of p.slice(root.length).split(path.sep).filter(Boolean)) out.push(path.join(out.at(-1)!, part));
  return out;
}

/** Judges an existing ancestor of the spool root; false when it does not exist. */
async function checkAncestor(component: string): Promise<boolean> {
  const st = await lstat(component).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new SpoolError(`Cannot check spool path ${component}: ${error.message}`, { cause: error });
  });
  if (!st) return false;
  const me = uid();
  if (st.isSymbolicLink()) {
    const parent = await lstat(path.dirname(component));
    const systemLink = st.uid === 0 && parent.uid === 0 && (parent.mode & 0o022) === 0;
    if (!systemLink) throw new SpoolError(`Spool path ${component} is a symbolic link someone other than root could have placed; refusing it`);
    return true;
  }
  if (!st.isDirectory()) throw new SpoolError(`Spool path ${component} is not a directory`);
  if (st.uid !== 0 && st.uid !== me) throw new SpoolError(`Spool path ${component} belongs to another user (uid ${st.uid}); refusing it`);
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0)
    throw new SpoolError(`Spool path ${component} is writable by other users and not sticky; refusing it`);
  return true;
}

async function ensureOwned(component: string): Promise<void> {
  await mkdir(component, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw new SpoolError(`Cannot create spool directory ${component}: ${error.message}`, { cause: error });
  });
  // lstat after mkdir: whatever is there now — ours, or something someone placed first — is judged.
  const st = await lstat(component);
  if (st.isSymbolicLink()) throw new SpoolError(`Spool directory ${component} is a symbolic link; refusing it`);
  if (!st.isDirectory()) throw new SpoolError(`Spool directory ${component} is not a directory`);
  if (st.uid !== uid()) throw new SpoolError(`Spool directory ${component} belongs to another user (uid ${st.uid}); refusing it`);
  if ((st.mode & 0o077) !== 0) await chmod(component, 0o700);
}
