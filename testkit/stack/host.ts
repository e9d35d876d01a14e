/**
 * The local stack's host: one long-lived process (testkit/stack/host-main.ts) that keeps the
 * indexer and the assembler consuming their queues (startLocalPipeline, as the tests and
 * benchmarks run them) and serves the stage's HTTP API (the signer and the logs API) and a local
 * token issuer on loopback. `stack:up` starts it, `stack:down` stops it; tests and benchmarks,
 * which run their own functions on the same queues, pause it and resume it afterwards.
 *
 * @example
 * const host = await ensureHost(stack);        // started unless the one running serves this stack
 * const resume = await pauseHost();            // a test run: the queues are ours now
 * await resume();
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, LOCAL_DIR, LOGS_DIR, REPO_ROOT } from '../paths.js';
import { findProcesses, isOurProcess, pickFreePort, stopProcessGroup, waitFor } from './process.js';
import { readStackFile, type ProvisionedStack } from './stack-file.js';

export const HOST_SCRIPT = fileURLToPath(new URL('./host-main.ts', import.meta.url));
export const HOST_FILE = path.join(LOCAL_DIR, 'host.json');
/** The issuer's keys: tokens printed by `joblogs dev-token` stay valid across host restarts. */
export const ISSUER_KEY_FILE = path.join(LOCAL_DIR, 'issuer-keys.json');
export const FUNCTIONS_LOG = path.join(LOGS_DIR, 'functions.log');
const HOST_LOG = path.join(LOGS_DIR, 'host.log');

/** Defaults: the issuer on the port the `local` stage's template names (jwtIssuer), the API beside it. */
export const DEFAULT_PORTS = { api: 8788, issuer: 9400 } as const;

export interface HostInfo {
  pid: number;
  apiUrl: string;
  issuerUrl: string;
  /** The services it was started against: a host of another moto or Elasticsearch is restarted. */
  services: string;
  startedAt: string;
  functionsLog: string;
}

/** What identifies the services a host works against. */
export function servicesOf(stack: ProvisionedStack): string {
  return `${stack.moto.url}#${stack.moto.pid} ${stack.elasticsearch.url}#${stack.elasticsearch.pid} ${stack.resources.templatePath}`;
}

export function readHostFile(): HostInfo | undefined {
  if (!existsSync(HOST_FILE)) return undefined;
  return JSON.parse(readFileSync(HOST_FILE, 'utf8')) as HostInfo;
}

export function writeHostFile(info: HostInfo): void {
  mkdirSync(LOCAL_DIR, { recursive: true });
  writeFileSync(HOST_FILE, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

async function hostHealthy(info: HostInfo): Promise<boolean> {
  const response = await fetch(`${info.apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
  await response.arrayBuffer();
  return response.ok;
}

/** The recorded host when it is alive and answers. */
export async function runningHost(): Promise<HostInfo | undefined> {
  const info = readHostFile();
  if (!info || !isOurProcess(info.pid, HOST_SCRIPT)) return undefined;
  return (await hostHealthy(info).catch(() => false)) ? info : undefined;
}

/** Starts the host for `stack` unless the running one serves it already; returns where it serves. */
export async function ensureHost(stack: ProvisionedStack): Promise<HostInfo> {
  const running = await runningHost();
  if (running && running.services === servicesOf(stack)) return running;
  await stopHost();
  return startHost(stack);
}

async function startHost(stack: ProvisionedStack): Promise<HostInfo> {
  const previous = readHostFile();
  const apiPort = await pickFreePort(Number(process.env['JOBLOGS_API_PORT'] ?? previous?.apiUrl.split(':').at(-1) ?? DEFAULT_PORTS.api));
  const issuerPort = await pickFreePort(Number(process.env['JOBLOGS_ISSUER_PORT'] ?? previous?.issuerUrl.split(':').at(-1) ?? DEFAULT_PORTS.issuer));
  rmSync(HOST_FILE, { force: true });
  mkdirSync(LOGS_DIR, { recursive: true });
  const out = openSync(HOST_LOG, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', HOST_SCRIPT], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', out, out],
    env: childEnv({ JOBLOGS_API_PORT: String(apiPort), JOBLOGS_ISSUER_PORT: String(issuerPort), JOBLOGS_HOST_SERVICES: servicesOf(stack) }),
  });
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const ready = async (): Promise<boolean> => {
    const info = readHostFile();
    return !!info && info.pid === child.pid && (await hostHealthy(info));
  };
  await waitFor(`the local host (log: ${path.relative(REPO_ROOT, HOST_LOG)})`, ready, { timeoutMs: 60_000, intervalMs: 250, alive: () => !exited });
  return readHostFile()!;
}

/** Stops the recorded host and any other of ours a killed run left behind; true when one was running. */
export async function stopHost(): Promise<boolean> {
  const pids = new Set(findProcesses(HOST_SCRIPT).map((p) => p.pid));
  const recorded = readHostFile();
  if (recorded && isOurProcess(recorded.pid, HOST_SCRIPT)) pids.add(recorded.pid);
  // The host lets its runners finish their current poll and batch: up to the functions' timeouts.
  await Promise.all([...pids].map((pid) => stopProcessGroup(pid, HOST_SCRIPT, 70_000)));
  rmSync(HOST_FILE, { force: true });
  return pids.size > 0;
}

/** Stops the host while the caller runs functions of its own on the stack's queues; the result starts it again if it ran. */
export async function pauseHost(): Promise<() => Promise<void>> {
  const recorded = readHostFile();
  const wasRunning = await stopHost();
  return async () => {
    if (!wasRunning || !recorded) return;
    const stack = readStackFile();
    if (stack?.resources) await ensureHost(stack as ProvisionedStack);
  };
}
