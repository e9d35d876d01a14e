/**
 * The local stack as a `LogsBackend`: the real logs API and signer (startLocalApi) on loopback with
 * the viewer's pages beside them (viewerPages: the page, its bundle, a same-origin token URL), a
 * local token issuer, the real indexer and assembler on the stack's queues (startLocalPipeline), and
 * the test jobs shipped through the real shipper (stack-jobs.ts). The API reads Elasticsearch
 * through a fault proxy, so "the search cluster is down" is a real 503 of the API.
 *
 * The stack must be up (`npm run stack:up`, or the tests' global setup) and its host paused: this
 * backend runs the functions on the queues itself.
 */
import { randomUUID } from 'node:crypto';
import { buildViewer } from '../../viewer/build.js';
import { startHttpFaultProxy } from '../fault-proxy.js';
import { startIssuer, startLocalApi, viewerPages, type HttpApi } from '../http/index.js';
import { discardSink } from '../log-sink.js';
import { quickAssembler, startLocalPipeline } from '../pipeline/index.js';
import { awsLocalEnv, loadStack } from '../stack/index.js';
import { viewerQuery, type BackendOptions, type LogsBackend } from './backend.js';
import { PAGE_USER, StackJobs } from './stack-jobs.js';

export async function startStackBackend(o: Pick<BackendOptions, 'run' | 'pages'> = {}): Promise<LogsBackend> {
  await buildViewer();
  const stack = loadStack();
  const savedEnv = { ...process.env };
  // The API's own S3 and SSM clients read moto's endpoint from the environment, as deployed functions read theirs.
  Object.assign(process.env, awsLocalEnv(stack.info));
  const idp = await startIssuer({ audience: stack.info.resources.logsApi.environment['JWT_AUDIENCE']!, devTokens: true });
  const cluster = await startHttpFaultProxy(stack.info.elasticsearch.url);
  const outage = clusterOutage();
  cluster.plan(outage.fault);
  let api: HttpApi | undefined;
  api = await startLocalApi({
    stack: stack.info,
    issuer: idp.issuer,
    env: { ES_NODE: cluster.url },
    logStream: discardSink(),
    fallback: viewerPages({ issuerUrl: idp.issuer, apiUrl: () => api!.url, user: { user: PAGE_USER.owner, team: PAGE_USER.team }, pages: o.pages }),
    onAnswer: outage.onAnswer,
  });
  const pipeline = await startLocalPipeline({ stack, indexer: {}, assembler: quickAssembler(), logStream: discardSink() });
  const token = (): Promise<string> => idp.token({ sub: PAGE_USER.owner, teams: [PAGE_USER.team] }, { expiresInS: 3600 });
  const get = async (route: string) => {
    const response = await fetch(`${api!.url}${route}`, { headers: { authorization: `Bearer ${await token()}` } });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const jobs = new StackJobs({ stack, run: o.run ?? randomUUID().slice(0, 8), get, log: (message) => console.log(`[viewer fixtures] ${message}`) });
  return {
    kind: 'stack',
    apiBase: api.url,
    apiToken: token,
    viewerUrl: (jobId, options = {}) => `${api!.url}/view/${encodeURIComponent(jobId)}${viewerQuery(options)}${options.hash ?? ''}`,
    millionLineJob: () => jobs.millionLineJob(),
    multiSourceJob: () => jobs.multiSourceJob(),
    archivedJob: () => jobs.archivedJob(),
    runningJob: () => jobs.runningJob(),
    otherUsersJob: () => jobs.otherUsersJob(),
    interruptNextRequest: async () => outage.start(),
    close: async () => {
      await jobs.close();
      await pipeline.stop();
      await api!.close();
      await cluster.close();
      await idp.close();
      await stack.close();
      process.env = savedEnv;
    },
  };
}

/**
 * The cluster refuses (503) every request from `start()` until the API has answered with 503 a
 * request that arrived after `start()`. The API's Elasticsearch client retries a 503 once, and the
 * viewer asks for several things at once, so failing "the next cluster request" would be absorbed
 * by the retry; and a request from before (a long poll an earlier test's page left open on the
 * server) must not end the outage the test's own page is meant to see.
 */
function clusterOutage() {
  let down = false;
  let since = Infinity;
  return {
    start: () => {
      down = true;
      since = Date.now();
    },
    fault: () => (down ? ({ kind: 'status', status: 503 } as const) : undefined),
    onAnswer: ({ status, arrivedAt }: { status: number; arrivedAt: number }) => {
      if (status === 503 && arrivedAt >= since) down = false;
    },
  };
}
