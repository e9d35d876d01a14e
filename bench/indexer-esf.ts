/**
 * The `esf` variant of indexer-cpu.ts: `bench/esf_like.py`, a minimal reimplementation of what
 * the Elastic Serverless Forwarder does per line of a gzip S3 object (see that file's docstring for
 * the ESF source files it follows), run by CPython with orjson in a venv of its own
 * (`.local/venv-bench-esf`, created with `pip install` on first use), over the same gzip file.
 *
 *   tsx bench/indexer-cpu.ts --variants esf,indexChunk-off,indexChunk
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_DIR } from '../testkit/paths.js';
import { runResultProcess, type RunResult } from '../testkit/bench/index.js';
import { withLock } from '../testkit/stack/lock.js';
import { ensureVenvTool } from '../testkit/stack/venv.js';

export const ESF_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'esf_like.py');
/** The orjson ESF pins (its requirements.txt). */
export const ESF_REQUIREMENT = 'orjson==3.11.7';
const VENV = path.join(LOCAL_DIR, 'venv-bench-esf');

/** The venv's `python` with orjson importable; the requirement is the fingerprint, so the stamp proves pip finished. */
export async function ensureEsfPython(): Promise<string> {
  await withLock('venv-bench-esf', () => ensureVenvTool({ venv: VENV, requirement: ESF_REQUIREMENT, bin: 'python', fingerprint: ESF_REQUIREMENT }));
  return path.join(VENV, 'bin', 'python');
}

/** One run of the ESF-like forwarder over `file`; its own CPU time, elapsed time and peak RSS. */
export function runEsfChild(python: string, file: string, extraArgs: readonly string[] = []): Promise<RunResult> {
  return runResultProcess(python, [ESF_SCRIPT, '--file', file, ...extraArgs], { label: 'esf_like.py' });
}
