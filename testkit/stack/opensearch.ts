/**
 * A real, single-node OpenSearch 2.x for local runs and CI: the integ-test-zip distribution from
 * Maven (it runs on Java 11–21). That zip holds only the transport module: no security plugin (so
 * no users — credentials are not checked locally; SigV4 is checked by testkit/sigv4-proxy.ts), no
 * ISM plugin (retention is recorded, not enforced), and no analysis or scripting modules.
 */
import path from 'node:path';
import { ClusterKind } from '../../shared/core/cluster/index.js';
import { LOCAL_DIR } from '../paths.js';
import {
  ADMIN_USERNAME,
  credentialsExist,
  dataDirOf,
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

export const OPENSEARCH_VERSION = '2.19.3';
const KIND = ClusterKind.opensearch2;
const TOP_DIR = `opensearch-${OPENSEARCH_VERSION}`;

const ARTIFACT = {
  groupPath: ['org', 'opensearch', 'distribution', 'integ-test-zip'],
  artifactId: 'opensearch',
  version: OPENSEARCH_VERSION,
  coordinates: `org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip`,
  topDir: TOP_DIR,
};

const marker = (home: string): string => `-Dopensearch.path.home=${home}`;

export async function startOpenSearch(settings: EsSettings, { timeoutMs = 180_000 } = {}): Promise<EsInstance> {
  const home = ensureZip(ARTIFACT, 'opensearch');
  // Sent, and ignored (no security plugin): the stack file keeps one shape for every kind.
  const { password } = loadOrCreateCredentials();
  const url = `http://127.0.0.1:${settings.port}`;
  // The SecurityManager OpenSearch 2.x installs is gone from JDK 24 on.
  const javaHome = findJavaHome({ envVar: 'OPENSEARCH_JAVA_HOME', min: 11, max: 21, product: `OpenSearch ${OPENSEARCH_VERSION}` });
  const pid = await launchNode({
    kind: KIND,
    home,
    launcher: 'opensearch',
    settings: [
      'cluster.name=joblogs-local',
      'node.name=joblogs-local-0',
      'discovery.type=single-node',
      'network.host=127.0.0.1',
      `http.port=${settings.port}`,
      `transport.port=${settings.transportPort}`,
      'cluster.routing.allocation.disk.threshold_enabled=false',
    ],
    env: {
      ...process.env,
      OPENSEARCH_JAVA_HOME: javaHome,
      OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx512m',
      HOME: home,
      OPENSEARCH_PATH_CONF: path.join(home, 'config'),
    },
    marker: marker(home),
    url,
    username: ADMIN_USERNAME,
    password,
    timeoutMs,
  });
  return { ...settings, kind: KIND, url, username: ADMIN_USERNAME, password, pid, home, dataDir: dataDirOf(KIND), logFile: logFileOf(KIND) };
}

/** Every OpenSearch node of ours (this checkout's distribution) that is alive, answering or not. */
export function findOurOpenSearch(): EsInstance[] {
  if (!credentialsExist()) return [];
  const home = path.join(LOCAL_DIR, TOP_DIR);
  const { password } = loadOrCreateCredentials();
  return findProcesses(marker(home)).flatMap(({ pid, args }) => {
    const port = launchSetting(args, 'http.port');
    const transportPort = launchSetting(args, 'transport.port');
    if (!port || !transportPort) return [];
    return [
      {
        kind: KIND,
        port,
        transportPort,
        url: `http://127.0.0.1:${port}`,
        username: ADMIN_USERNAME,
        password,
        pid,
        home,
        dataDir: dataDirOf(KIND),
        logFile: logFileOf(KIND),
      },
    ];
  });
}

export const openSearchFailedToBind = (): boolean => failedToBind(KIND, /version\[|JVM arguments/);
