/**
 * A real, single-node Elasticsearch for local runs and CI: the integ-test-zip distribution from
 * Maven (no bundled JDK, no rest-root module, so health is `GET /_cluster/health`, not `GET /`),
 * security on, one file-realm superuser whose password lives only under `.local/`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_DIR, LOGS_DIR } from '../paths.js';
import { findProcesses, isOurProcess, stopProcessGroup, waitFor } from './process.js';

export const ES_VERSION = '9.2.0';
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;
/** Elasticsearch refuses to run as root, and we are root on the dev and CI machines. */
const ES_OS_USER = 'joblogs-es';
const ES_USERNAME = 'joblogs';
/** The logs API's read-only identity: role `joblogs_reader` (read on the stage's data streams), a file-realm user. */
export const ES_READER = 'joblogs_reader';
const READER_ROLE = `${ES_READER}:
  indices:
    - names: ['logs-mlplatform.*', 'joblogs-chunks-*']
      privileges: ['read', 'view_index_metadata']
`;
/** Appears in the server JVM's command line; used to recognise our process after a restart of the tooling. */
export const ES_PROCESS_MARKER = 'elasticsearch';

export interface EsSettings {
  port: number;
  transportPort: number;
}

export interface EsInstance extends EsSettings {
  url: string;
  username: string;
  password: string;
  pid: number;
  home: string;
  dataDir: string;
  logFile: string;
}

const esHome = (): string => path.join(LOCAL_DIR, `elasticsearch-${ES_VERSION}`);
const dataDir = (): string => path.join(LOCAL_DIR, 'es-data');
const credentialsFile = (): string => path.join(LOCAL_DIR, 'es-credentials.json');

/** Unzips the distribution into `.local/`, fetching it with Maven into ~/.m2 first if needed. */
export function ensureDistribution(): string {
  const home = esHome();
  if (existsSync(path.join(home, 'bin', 'elasticsearch'))) return home;
  const zip = path.join(
    os.homedir(), '.m2', 'repository', 'org', 'elasticsearch', 'distribution', 'integ-test-zip',
    'elasticsearch', ES_VERSION, `elasticsearch-${ES_VERSION}.zip`,
  );
  if (!existsSync(zip)) {
    console.log(`[stack] fetching Elasticsearch ${ES_VERSION} with Maven`);
    execFileSync('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${ARTIFACT}`, '-Dtransitive=false'], { stdio: 'inherit' });
  }
  const staging = path.join(LOCAL_DIR, 'es-unzip');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  execFileSync('unzip', ['-q', zip, '-d', staging], { stdio: 'inherit' });
  renameSync(path.join(staging, `elasticsearch-${ES_VERSION}`), home);
  rmSync(staging, { recursive: true, force: true });
  return home;
}

/** A JDK ≥ 21 (the integ-test-zip ships none): `ES_JAVA_HOME`, else the newest one under /usr/lib/jvm. */
export function findJavaHome(): string {
  if (process.env.ES_JAVA_HOME) return process.env.ES_JAVA_HOME;
  const root = '/usr/lib/jvm';
  const candidates = existsSync(root)
    ? readdirSync(root)
        .map((name) => ({ name, major: Number(/(?:^|-)(\d{2,})(?:[.-]|$)/.exec(name)?.[1] ?? 0) }))
        .filter((c) => c.major >= 21 && existsSync(path.join(root, c.name, 'bin', 'java')))
        .sort((a, b) => b.major - a.major)
    : [];
  if (!candidates[0]) throw new Error('Elasticsearch 9 needs Java 21+: set ES_JAVA_HOME (none found under /usr/lib/jvm)');
  return path.join(root, candidates[0].name);
}

function ensureOsUser(): { uid: number; gid: number } {
  try {
    execFileSync('id', ['-u', ES_OS_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-r', '-U', '-M', '-s', '/usr/sbin/nologin', ES_OS_USER], { stdio: 'inherit' });
  }
  const uid = Number(execFileSync('id', ['-u', ES_OS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', ES_OS_USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
}

function loadOrCreatePassword(): string {
  return loadOrCreateCredentials().password;
}

/** The superuser's and the reader's passwords, made once and kept under `.local/` (0600). */
function loadOrCreateCredentials(): { password: string; readerPassword: string } {
  const file = credentialsFile();
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { password: string; readerPassword?: string }) : undefined;
  if (stored?.readerPassword) return { password: stored.password, readerPassword: stored.readerPassword };
  const credentials = { password: stored?.password ?? randomBytes(18).toString('base64url'), readerPassword: randomBytes(18).toString('base64url') };
  writeFileSync(file, JSON.stringify({ username: ES_USERNAME, ...credentials }), { mode: 0o600 });
  return credentials;
}

/** The file-realm users of a node that may already run (it reloads its user files by itself). */
export function ensureEsUsers(): void {
  ensureFileRealmUsers(ensureDistribution(), loadOrCreateCredentials(), ensureOsUser());
}

/** The reader's credentials as the logs API gets them (through SSM). */
export function readerCredentials(): { username: string; password: string } {
  return { username: ES_READER, password: loadOrCreateCredentials().readerPassword };
}

function javaEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, ES_JAVA_HOME: findJavaHome(), ES_JAVA_OPTS: '-Xms512m -Xmx512m', HOME: home, ES_PATH_CONF: path.join(home, 'config') };
}

/**
 * (Re)creates the file-realm users with the stored passwords — the superuser (tests, the deploy
 * step, the indexer) and the read-only `joblogs_reader` (the logs API) with its role in
 * `roles.yml` — idempotent. The test distribution has no native realm (its `.security` index needs
 * analysis modules it lacks), so users live in files.
 */
function ensureFileRealmUsers(home: string, credentials: { password: string; readerPassword: string }, ids: { uid: number; gid: number }): void {
  const rolesFile = path.join(home, 'config', 'roles.yml');
  const rolesText = existsSync(rolesFile) ? readFileSync(rolesFile, 'utf8') : '';
  if (!rolesText.includes(`${ES_READER}:`)) writeFileSync(rolesFile, `${rolesText.trimEnd()}\n${READER_ROLE}`);
  const marker = path.join(home, 'config', '.joblogs-user');
  const wanted = hash(`${credentials.password}:${credentials.readerPassword}`);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return;
  const cli = path.join(home, 'bin', 'elasticsearch-users');
  const run = (args: string[]): void => {
    execFileSync(cli, args, { env: javaEnv(home), uid: ids.uid, gid: ids.gid, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const users = readFileSync(path.join(home, 'config', 'users'), 'utf8');
  for (const [name, password, role] of [[ES_USERNAME, credentials.password, 'superuser'], [ES_READER, credentials.readerPassword, ES_READER]] as const) {
    if (users.includes(`${name}:`)) run(['userdel', name]);
    run(['useradd', name, '-p', password, '-r', role]);
  }
  writeFileSync(marker, wanted);
}

function hash(s: string): string {
  return Buffer.from(s).toString('base64');
}

export async function esHealthy(url: string, username: string, password: string): Promise<boolean> {
  const response = await fetch(`${url}/_cluster/health`, {
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) return false;
  const { status } = (await response.json()) as { status: string };
  return status === 'green' || status === 'yellow';
}

/** Starts Elasticsearch detached (it outlives this process) and waits until the cluster is usable. */
export async function startElasticsearch(settings: EsSettings, { timeoutMs = 180_000 } = {}): Promise<EsInstance> {
  const home = ensureDistribution();
  const ids = ensureOsUser();
  const data = dataDir();
  const logsDir = path.join(LOGS_DIR, 'elasticsearch');
  for (const dir of [data, logsDir]) mkdirSync(dir, { recursive: true });
  chownTree(home, ids.uid, ids.gid);
  chownTree(data, ids.uid, ids.gid);
  chownTree(logsDir, ids.uid, ids.gid);
  const credentials = loadOrCreateCredentials();
  const password = credentials.password;
  ensureFileRealmUsers(home, credentials, ids);

  const logFile = path.join(LOGS_DIR, 'elasticsearch.out');
  const out = openSync(logFile, 'a');
  const args = [
    'cluster.name=joblogs-local',
    'node.name=joblogs-local-0',
    'discovery.type=single-node',
    'network.host=127.0.0.1',
    `http.port=${settings.port}`,
    `transport.port=${settings.transportPort}`,
    `path.data=${data}`,
    `path.logs=${logsDir}`,
    'xpack.security.enabled=true',
    // Plain HTTP on loopback only; a single node needs no transport TLS.
    'xpack.security.http.ssl.enabled=false',
    'xpack.security.transport.ssl.enabled=false',
    // A nearly full dev disk must not turn the cluster read-only mid-test.
    'cluster.routing.allocation.disk.threshold_enabled=false',
  ].flatMap((s) => ['-E', s]);
  const child = spawn(path.join(home, 'bin', 'elasticsearch'), args, {
    cwd: home,
    env: javaEnv(home),
    uid: ids.uid,
    gid: ids.gid,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error('Elasticsearch did not start');
  const url = `http://127.0.0.1:${settings.port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitFor(`Elasticsearch on ${url} (log: ${logFile})`, () => esHealthy(url, ES_USERNAME, password), {
      timeoutMs,
      intervalMs: 1_000,
      alive: () => !exited,
    });
  } catch (error) {
    // CI shows only the console: bring the reason along.
    const reasons = readFileSync(logFile, 'utf8').split('\n').filter((l) => /ERROR|Exception|Caused by/.test(l)).slice(-8);
    throw new Error(`${(error as Error).message}\n${reasons.join('\n')}`, { cause: error });
  }
  // Healthy but our node gone: something else answered on the port (and ours failed to bind).
  if (exited || !isOurProcess(pid, ES_PROCESS_MARKER)) throw new Error(`Elasticsearch exited; another node answers on ${url} (log: ${logFile})`);
  return { ...settings, url, username: ES_USERNAME, password, pid, home, dataDir: data, logFile };
}

/** Stops it (the launcher and the server JVM it forked); keeps the data directory. */
export async function stopElasticsearch(pid: number): Promise<void> {
  await stopProcessGroup(pid, ES_PROCESS_MARKER, 60_000);
}

export function elasticsearchRunning(instance: Pick<EsInstance, 'pid'> | undefined): boolean {
  return isOurProcess(instance?.pid, ES_PROCESS_MARKER);
}

/** Every node of ours (this checkout's distribution) that is alive, answering or not. */
export function findOurElasticsearch(): EsInstance[] {
  if (!existsSync(credentialsFile())) return [];
  const password = loadOrCreatePassword();
  const found: EsInstance[] = [];
  for (const launcher of findProcesses(`-Dcli.script=${path.join(esHome(), 'bin', 'elasticsearch')}`)) {
    const setting = (name: string): number | undefined => {
      const arg = launcher.args.find((a) => a.startsWith(`${name}=`));
      return arg ? Number(arg.slice(name.length + 1)) : undefined;
    };
    const port = setting('http.port');
    const transportPort = setting('transport.port');
    if (!port || !transportPort) continue;
    const url = `http://127.0.0.1:${port}`;
    found.push({ port, transportPort, url, username: ES_USERNAME, password, pid: launcher.pid, home: esHome(), dataDir: dataDir(), logFile: path.join(LOGS_DIR, 'elasticsearch.out') });
  }
  return found;
}

/** Whether the last start failed because its HTTP or transport port was taken. */
export function elasticsearchFailedToBind(): boolean {
  const log = path.join(LOGS_DIR, 'elasticsearch.out');
  if (!existsSync(log)) return false;
  const text = readFileSync(log, 'utf8');
  const lastStart = text.lastIndexOf('JVM arguments');
  return /BindTransportException|BindHttpException|Address already in use/.test(text.slice(Math.max(0, lastStart)));
}
