/**
 * The repository's Python client (clients/python, importable as `joblogs`) for tests and
 * benchmarks that run Python producers against the local stack: installed editable into a venv
 * of its own (`.local/venv-python-client`) on first use, reinstalled when its pyproject.toml
 * changes; its source changes need no reinstall.
 *
 * @example
 * const python = await ensurePythonClient();
 * spawn(python, ['-m', 'joblogs', 'run', '--job-id', jobId, '--bucket', stack.bucket, '--', python, 'train.py'], { env: { ...process.env, ...awsLocalEnv(stack.info) } });
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_DIR, REPO_ROOT } from '../paths.js';
import { withLock } from './lock.js';
import { ensureVenvTool } from './venv.js';

export const PYTHON_CLIENT_DIR = path.join(REPO_ROOT, 'clients', 'python');
const VENV = path.join(LOCAL_DIR, 'venv-python-client');

/** The venv's `python`, with `joblogs` importable (and `python -m joblogs`). */
export async function ensurePythonClient(): Promise<string> {
  const fingerprint = createHash('sha256')
    .update(readFileSync(path.join(PYTHON_CLIENT_DIR, 'pyproject.toml')))
    .digest('hex');
  // The console script proves the install finished (the venv's python exists before pip ran).
  await withLock('venv-python-client', () => ensureVenvTool({ venv: VENV, requirement: ['-e', PYTHON_CLIENT_DIR], bin: 'joblogs-py', fingerprint }));
  return path.join(VENV, 'bin', 'python');
}
