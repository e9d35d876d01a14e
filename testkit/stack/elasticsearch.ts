/**
 * A real, single-node Elasticsearch (8.19 or 9.x) for local runs and CI: the integ-test-zip
 * distribution from Maven (no bundled JDK, no rest-root module, so health is
 * `GET /_cluster/health`, not `GET /`), security on, one file-realm superuser whose password
 * lives only under `.local/`, and the logs API's read-only file-realm user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterKind } from '../../shared/core/cluster/index.js';
import { LOCAL_DIR } from '../paths.js';
import {
  ADMIN_USERNAME,
  READER_USERNAME,
  chownTree,
  credentialsExist,
  dataDirOf,
  ensureOsUser,
  ensureZip,
  failedToBind,
  findJavaHome,
  launchNode,
  launchSetting,
  loadOrCreateCredentials,
  logFileOf,
  type EsInstance,
  type EsSettings,
} from './jvm-node.js';
import { findProcesses } from './process.js';

type EsKind = Extract<ClusterKind, 'es-8' | 'es-9'>;

/** The test distribution of each Elasticsearch kind, and the JDKs it runs on. */
const VERSIONS: Record<EsKind, { version: string; java: { min: number; max?: number } }> = {
  // 8.19 supports JDK 17–24 (it bundles 24); newer JDKs are untested by Elastic for 8.x.
  'es-8': { version: '8.19.0', java: { min: 17, max: 24 } },
  'es-9': { version: '9.2.0', java: { min: 21 } },
};

const READER_ROLE = `${READER_USERNAME}:
  indices:
    - names: ['logs-mlplatform.*', 'joblogs-chunks-*']
      privileges: ['read', 'view_index_metadata']
`;

export const esVersion = (kind: EsKind): string => VERSIONS[kind].version;
const homeOf = (kind: EsKind): string => ensureZip(artifact(kind), 'elasticsearch');
const launcherOf = (_kind: EsKind, home: string) => `-Dcli.script=${path.join(home, 'bin', 'elasticsearch')}`;

function artifact(kind: EsKind) {
  const version = esVersion(kind);
  return {
    groupPath: ['org', 'elasticsearch', 'distribution', 'integ-test-zip'],
    artifactId: 'elasticsearch',
    version,
    coordinates: `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`,
    topDir: `elasticsearch-${version}`,
  };
}

function javaEnv(kind: EsKind, home: string): NodeJS.ProcessEnv {
  const javaHome = findJavaHome({
    envVar: kind === 'es-8' ? 'ES8_JAVA_HOME' : 'ES_JAVA_HOME',
    ...VERSIONS[kind].java,
    product: `Elasticsearch ${esVersion(kind)}`,
  });
  return { ...process.env, ES_JAVA_HOME: javaHome, ES_JAVA_OPTS: '-Xms512m -Xmx512m', HOME: home, ES_PATH_CONF: path.join(home, 'config') };
}

/**
 * (Re)creates the file-realm users with the stored passwords — the superuser (tests, the deploy
 * step, the indexer) and the read-only `joblogs_reader` (the logs API) with its role in
 * `roles.yml` — idempotent; a running node reloads its user files by itself. The test
 * distribution has no native realm (its `.security` index needs analysis modules it lacks).
 */
export function ensureEsUsers(kind: EsKind): void {
  const home = homeOf(kind);
  const credentials = loadOrCreateCredentials();
  const ids = ensureOsUser();
  const rolesFile = path.join(home, 'config', 'roles.yml');
  const rolesText = existsSync(rolesFile) ? readFileSync(rolesFile, 'utf8') : '';
  if (!rolesText.includes(`${READER_USERNAME}:`)) writeFileSync(rolesFile, `${rolesText.trimEnd()}\n${READER_ROLE}`);
  const marker = path.join(home, 'config', '.joblogs-user');
  const wanted = Buffer.from(`${credentials.password}:${credentials.readerPassword}`).toString('base64');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return;
  // The CLI runs as the unprivileged user, who must be able to read the (root-unzipped) config.
  chownTree(home, ids);
  const cli = path.join(home, 'bin', 'elasticsearch-users');
  const run = (args: string[]): void => {
    execFileSync(cli, args, { env: javaEnv(kind, home), uid: ids.uid, gid: ids.gid, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const users = readFileSync(path.join(home, 'config', 'users'), 'utf8');
  for (const [name, password, role] of [
    [ADMIN_USERNAME, credentials.password, 'superuser'],
    [READER_USERNAME, credentials.readerPassword, READER_USERNAME],
  ] as const) {
    if (users.includes(`${name}:`)) run(['userdel', name]);
    run(['useradd', name, '-p', password, '-r', role]);
  }
  writeFileSync(marker, wanted);
}

/** Starts Elasticsearch of `kind` detached and waits until the cluster is usable. */
export async function startElasticsearch(kind: EsKind, settings: EsSettings, { timeoutMs = 180_000 } = {}): Promise<EsInstance> {
  const home = homeOf(kind);
  ensureEsUsers(kind);
  const { password } = loadOrCreateCredentials();
  const url = `http://127.0.0.1:${settings.port}`;
  const pid = await launchNode({
    kind,
    home,
    launcher: 'elasticsearch',
    settings: [
      'cluster.name=joblogs-local',
      'node.name=joblogs-local-0',
      'discovery.type=single-node',
      'network.host=127.0.0.1',
      `http.port=${settings.port}`,
      `transport.port=${settings.transportPort}`,
      'xpack.security.enabled=true',
      // Plain HTTP on loopback only; a single node needs no transport TLS.
      'xpack.security.http.ssl.enabled=false',
      'xpack.security.transport.ssl.enabled=false',
      // A nearly full dev disk must not turn the cluster read-only mid-test.
      'cluster.routing.allocation.disk.threshold_enabled=false',
    ],
    env: javaEnv(kind, home),
    marker: launcherOf(kind, home),
    url,
    username: ADMIN_USERNAME,
    password,
    timeoutMs,
  });
  return { ...settings, kind, url, username: ADMIN_USERNAME, password, pid, home, dataDir: dataDirOf(kind), logFile: logFileOf(kind) };
}

/** Every node of `kind` of ours (this checkout's distribution) that is alive, answering or not. */
export function findOurElasticsearch(kind: EsKind): EsInstance[] {
  if (!credentialsExist()) return [];
  const home = path.join(LOCAL_DIR, artifact(kind).topDir);
  const { password } = loadOrCreateCredentials();
  return findProcesses(launcherOf(kind, home)).flatMap(({ pid, args }) => {
    const port = launchSetting(args, 'http.port');
    const transportPort = launchSetting(args, 'transport.port');
    if (!port || !transportPort) return [];
    return [
      {
        kind,
        port,
        transportPort,
        url: `http://127.0.0.1:${port}`,
        username: ADMIN_USERNAME,
        password,
        pid,
        home,
        dataDir: dataDirOf(kind),
        logFile: logFileOf(kind),
      },
    ];
  });
}

export const elasticsearchFailedToBind = (kind: EsKind): boolean => failedToBind(kind, /JVM arguments/);
