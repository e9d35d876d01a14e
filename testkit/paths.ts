/** Where the repository and the local stack's files are; git-ignored `.local/` holds everything a run writes. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in testkit/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Everything the local stack writes: downloads, data, logs, secrets. Git-ignored. */
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');
export const LOGS_DIR = path.join(LOCAL_DIR, 'logs');
export const STACK_FILE = path.join(LOCAL_DIR, 'stack.json');
export const VENV_DIR = path.join(LOCAL_DIR, 'venv');

/** `node_modules/.bin` first, so every child runs on the project's Node 24, not the machine's. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const bin = path.join(REPO_ROOT, 'node_modules', '.bin');
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, ...extra };
}
