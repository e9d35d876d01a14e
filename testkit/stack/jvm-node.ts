/**
 * What the local search clusters (Elasticsearch, OpenSearch) have in common: a test distribution
 * zip from Maven, unzipped under `.local/`, run as an unprivileged OS user (both refuse root, and
 * we are root on the dev and CI machines) on a JDK of the range it supports, detached, and waited
 * for until healthy. Every kind keeps its own data directory: an index written by one version
 * cannot be opened by an older one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterKind } from '../../shared/core/cluster/index.js';
import { LOCAL_DIR, LOGS_DIR } from '../paths.js';
import { isOurProcess, waitFor } from './process.js';

/** Both products refuse to run as root. */
const OS_USER = 'joblogs-es';
/** The superuser of the local clusters that check credentials (Elasticsearch's file realm). */
export const ADMIN_USERNAME = 'joblogs';
/** The logs API's read-only identity: role `joblogs_reader` (read on the stage's data streams). */
export const READER_USERNAME = 'joblogs_reader';

export interface EsSettings {
  port: number;
  transportPort: number;
}

/** A local cluster of any kind (the stack file's `elasticsearch`, a name kept from when it was the only kind). */
export interface EsInstance extends EsSettings {
  kind: ClusterKind;
  url: string;
  username: string;
  password: string;
  pid: number;
  home: string;
  dataDir: string;
  logFile: string;
}

/** A Maven artifact of a test distribution and the directory its zip holds. */
export interface ZipArtifact {
  groupPath: string[];
  artifactId: string;
  version: string;
  coordinates: string;
  /** The top directory inside the zip, e.g. `opensearch-2.19.3`. */
  topDir: string;
}

/** Unzips the distribution into `.local/<topDir>`, fetching it with Maven into ~/.m2 first if needed. */
export function ensureZip(artifact: ZipArtifact, launcher: string): string {
  const home = path.join(LOCAL_DIR, artifact.topDir);
  if (existsSync(path.join(home, 'bin', launcher))) return home;
  const zip = path.join(
    os.homedir(),
    '.m2',
    'repository',
    ...artifact.groupPath,
    artifact.artifactId,
    artifact.version,
    `${artifact.artifactId}-${artifact.version}.zip`,
  );
  if (!existsSync(zip)) {
    console.log(`[stack] fetching ${artifact.artifactId} ${artifact.version} with Maven`);
    execFileSync('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${artifact.coordinates}`, '-Dtransitive=false'], { stdio: 'inherit' });
  }
  const staging = path.join(LOCAL_DIR, `unzip-${artifact.topDir}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  execFileSync('unzip', ['-q', zip, '-d', staging], { stdio: 'inherit' });
  renameSync(path.join(staging, artifact.topDir), home);
  rmSync(staging, { recursive: true, force: true });
  return home;
}

/**
 * A JDK in `[min, max]` (the test zips ship none): `envVar` when set, else the newest fitting one
 * under /usr/lib/jvm. OpenSearch 2.x needs the SecurityManager, which JDK 24 removed.
 */
export function findJavaHome(o: { envVar: string; min: number; max?: number; product: string }): string {
  const fromEnv = process.env[o.envVar];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/jvm';
  const candidates = existsSync(root)
    ? readdirSync(root)
        .map((name) => ({ name, major: Number(/(?:^|-)(\d{2,})(?:[.-]|$)/.exec(name)?.[1] ?? 0) }))
        .filter((c) => c.major >= o.min && c.major <= (o.max ?? Infinity) && existsSync(path.join(root, c.name, 'bin', 'java')))
        .sort((a, b) => b.major - a.major)
    : [];
  if (!candidates[0]) throw new Error(`${o.product} needs Java ${o.min}${o.max ? `–${o.max}` : '+'}: set ${o.envVar} (none found under /usr/lib/jvm)`);
  return path.join(root, candidates[0].name);
}

export function ensureOsUser(): { uid: number; gid: number } {
  try {
    execFileSync('id', ['-u', OS_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-r', '-U', '-M', '-s', '/usr/sbin/nologin', OS_USER], { stdio: 'inherit' });
  }
  const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export function chownTree(dir: string, ids: { uid: number; gid: number }): void {
  chownSync(dir, ids.uid, ids.gid);
  execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dir]);
}

const credentialsFile = (): string => path.join(LOCAL_DIR, 'es-credentials.json');

/** The superuser's and the reader's passwords, made once and kept under `.local/` (0600); the same for every kind. */
export function loadOrCreateCredentials(): { password: string; readerPassword: string } {
  const file = credentialsFile();
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { password: string; readerPassword?: string }) : undefined;
  if (stored?.readerPassword) return { password: stored.password, readerPassword: stored.readerPassword };
  mkdirSync(LOCAL_DIR, { recursive: true });
  const credentials = { password: stored?.password ?? randomBytes(18).toString('base64url'), readerPassword: randomBytes(18).toString('base64url') };
  writeFileSync(file, JSON.stringify({ username: ADMIN_USERNAME, ...credentials }), { mode: 0o600 });
  return credentials;
}

export const credentialsExist = (): boolean => existsSync(credentialsFile());

/** The cluster's health answers green or yellow (a single node has unassigned replicas). */
export async function clusterHealthy(url: string, username: string, password: string): Promise<boolean> {
  const response = await fetch(`${url}/_cluster/health`, {
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) return false;
  const { status } = (await response.json()) as { status: string };
  return status === 'green' || status === 'yellow';
}

export const dataDirOf = (kind: ClusterKind): string => path.join(LOCAL_DIR, 'cluster-data', kind);
export const logFileOf = (kind: ClusterKind): string => path.join(LOGS_DIR, `cluster-${kind}.out`);

export interface NodeLaunch {
  kind: ClusterKind;
  home: string;
  launcher: string;
  /** `name=value` settings, passed as `-E name=value`. */
  settings: string[];
  env: NodeJS.ProcessEnv;
  /** In the server's command line: tells our process from a reused pid. */
  marker: string;
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
}

/** Starts a node detached (it outlives this process) and waits until the cluster is usable; returns its pid. */
export async function launchNode(l: NodeLaunch): Promise<number> {
  const ids = ensureOsUser();
  const data = dataDirOf(l.kind);
  const logsDir = path.join(LOGS_DIR, `cluster-${l.kind}`);
  for (const dir of [data, logsDir]) mkdirSync(dir, { recursive: true });
  for (const dir of [l.home, data, logsDir]) chownTree(dir, ids);
  const logFile = logFileOf(l.kind);
  const out = openSync(logFile, 'a');
  const args = [...l.settings, `path.data=${data}`, `path.logs=${logsDir}`].flatMap((s) => ['-E', s]);
  const child = spawn(path.join(l.home, 'bin', l.launcher), args, {
    cwd: l.home,
    env: l.env,
    uid: ids.uid,
    gid: ids.gid,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`${l.kind} did not start`);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitFor(`${l.kind} on ${l.url} (log: ${logFile})`, () => clusterHealthy(l.url, l.username, l.password), {
      timeoutMs: l.timeoutMs,
      intervalMs: 1_000,
      alive: () => !exited,
    });
  } catch (error) {
    // CI shows only the console: bring the reason along.
    const reasons = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => /ERROR|Exception|Caused by/.test(line))
      .slice(-8);
    throw new Error(`${(error as Error).message}\n${reasons.join('\n')}`, { cause: error });
  }
  // Healthy but our node gone: something else answered on the port (and ours failed to bind).
  if (exited || !isOurProcess(pid, l.marker)) throw new Error(`${l.kind} exited; another node answers on ${l.url} (log: ${logFile})`);
  return pid;
}

/** Whether the last start of `kind` failed because its HTTP or transport port was taken. */
export function failedToBind(kind: ClusterKind, startLine: RegExp): boolean {
  const log = logFileOf(kind);
  if (!existsSync(log)) return false;
  const text = readFileSync(log, 'utf8');
  const lastStart = Math.max(...[...text.matchAll(new RegExp(startLine, 'g'))].map((m) => m.index ?? 0), 0);
  return /BindTransportException|BindHttpException|Address already in use/.test(text.slice(lastStart));
}

/** The `-E name=value` settings of a running launcher. */
export function launchSetting(args: readonly string[], name: string): number | undefined {
  const arg = args.find((a) => a.startsWith(`${name}=`));
  return arg ? Number(arg.slice(name.length + 1)) : undefined;
}
