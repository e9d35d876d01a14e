/**
 * moto in server mode: S3 + SQS + SSM on one port, S3 -> SQS event notifications included.
 * Installed into a venv under `.local/` so the machine's Python stays untouched.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { LOGS_DIR, VENV_DIR } from '../paths.js';
import { findProcesses, isOurProcess, stopProcessGroup, waitFor } from './process.js';
import { ensureVenvTool } from './venv.js';

/** Pinned so the emulator's behaviour (notifications, redrive) does not drift under the tests. */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';
export const MOTO_PROCESS_MARKER = 'moto_server';
/** moto's fixed defaults. */
export const MOTO_ACCOUNT_ID = '123456789012';

export interface MotoInstance {
  url: string;
  port: number;
  pid: number;
  logFile: string;
}

export function ensureMoto(): string {
  return ensureVenvTool({ venv: VENV_DIR, requirement: MOTO_REQUIREMENT, bin: 'moto_server' });
}

/**
 * Whether moto answers: `GET /` is S3's ListBuckets, whose cost grows with the number of buckets
 * only — never with the objects stored (moto's `/moto-api/data.json` dumps its whole state, grows
 * with every object and answers 500 once a bucket that held objects has been deleted).
 */
export async function motoHealthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(3_000) });
  // Read the body: moto answers `Connection: close`, and an unread body makes Node's fetch fail an
  // internal assertion when the socket ends (nodejs/undici#5360, Node 24.21).
  const body = await response.text();
  return response.ok && body.includes('ListAllMyBucketsResult');
}

export async function startMoto(port: number): Promise<MotoInstance> {
  const bin = ensureMoto();
  mkdirSync(LOGS_DIR, { recursive: true });
  const logFile = path.join(LOGS_DIR, 'moto.log');
  const out = openSync(logFile, 'a');
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (!child.pid) throw new Error('moto did not start');
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`moto on ${url} (log: ${logFile})`, () => motoHealthy(url), { timeoutMs: 60_000, alive: () => !exited });
  if (exited || !isOurProcess(child.pid, MOTO_PROCESS_MARKER)) throw new Error(`moto exited; another server answers on ${url} (log: ${logFile})`);
  return { url, port, pid: child.pid, logFile };
}

export async function stopMoto(pid: number): Promise<void> {
  await stopProcessGroup(pid, MOTO_PROCESS_MARKER, 10_000);
}

export function motoRunning(instance: Pick<MotoInstance, 'pid'> | undefined): boolean {
  return isOurProcess(instance?.pid, MOTO_PROCESS_MARKER);
}

/** Every moto server from our venv that is alive, answering or not (a busy or wedged one too). */
export function findOurMotos(): MotoInstance[] {
  const found: MotoInstance[] = [];
  for (const candidate of findProcesses(path.join(VENV_DIR, 'bin', 'moto_server'))) {
    const port = Number(candidate.args[candidate.args.indexOf('-p') + 1]);
    if (port) found.push({ url: `http://127.0.0.1:${port}`, port, pid: candidate.pid, logFile: path.join(LOGS_DIR, 'moto.log') });
  }
  return found;
}
