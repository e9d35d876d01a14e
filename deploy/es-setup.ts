/**
 * The deploy step of one stage on its search cluster, whichever kind (README, "Search clusters"):
 * checks the cluster is the `clusterKind` the stage declares, installs the index templates (with
 * the mapping features the cluster has), the retention (data stream lifecycle or ISM policy), and,
 * when a dashboards URL is given, the Kibana data view or OpenSearch Dashboards index pattern the
 * signer's Discover links open (fixed id). Run after every deploy by deploy/sls-plugins/es-setup.cjs,
 * and by the local stack's `up` (testkit/stack) with no dashboards.
 *
 *   tsx deploy/es-setup.ts --stage dev --node https://… --retention-days 14 [--cluster-kind es-9]
 *     [--auth secret --credentials-param /joblogs/dev/es-credentials | --auth iam --region eu-west-1]
 *     [--kibana-url https://kibana… [--data-view-id joblogs-dev] [--kibana-space ml]] [--lifecycle optional]
 *
 * Credentials with `--auth secret`: `ES_USERNAME`/`ES_PASSWORD` or `ES_API_KEY` from the
 * environment when set (local), else the SSM SecureString named by `--credentials-param`
 * (decrypted), else none. With `--auth iam`: SigV4 with the deployer's own AWS credentials.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { putDataView, putIndexPattern } from '../shared/adapters/dashboards/index.js';
import { parseEsCredentials, secretSigner, sigV4Signer, type EsAuth, type RequestSigner } from '../shared/adapters/search/index.js';
import { setupCluster, type SetupReport } from '../shared/adapters/search/setup.js';
import { httpTransport } from '../shared/adapters/search/transport.js';
import { joblogsDataView } from '../shared/core/access/kibana.js';
import { checkClusterAuth, ClusterAuth, KIND_TRAITS, parseClusterAuth, parseClusterKind, type ClusterKind } from '../shared/core/cluster/index.js';

export interface EsSetupOptions {
  stage: string;
  node: string;
  retentionDays: number;
  kind: ClusterKind;
  /** How requests are signed (basic/API key credentials, none, or SigV4). */
  sign: RequestSigner;
  /** `optional` only where the cluster cannot enforce a retention (local test distributions). */
  lifecycle?: 'required' | 'optional';
  /** Unset: no data view / index pattern is provisioned. */
  dashboards?: { url: string; dataViewId?: string | undefined; space?: string | undefined } | undefined;
}

export async function esSetup(o: EsSetupOptions): Promise<SetupReport> {
  const transport = httpTransport({ node: o.node, sign: o.sign, requestTimeoutMs: 30_000 });
  const report = await setupCluster(transport, {
    declared: o.kind,
    stage: o.stage,
    retentionDays: o.retentionDays,
    lifecycle: o.lifecycle ?? 'required',
    warn: (message) => console.warn(message),
  });
  if (o.dashboards) {
    const view = joblogsDataView(o.stage, o.dashboards.dataViewId);
    const put = KIND_TRAITS[o.kind].dashboards === 'kibana' ? putDataView : putIndexPattern;
    await put({ url: o.dashboards.url, sign: o.sign, space: o.dashboards.space }, view);
    console.log(`[es-setup] ${KIND_TRAITS[o.kind].dashboards} ${view.id} (${view.title}) provisioned on ${o.dashboards.url}`);
  }
  return report;
}

async function credentialsFrom(env: NodeJS.ProcessEnv, param: string | undefined, region: string | undefined): Promise<EsAuth | undefined> {
  if (env.ES_API_KEY) return { apiKey: env.ES_API_KEY };
  if (env.ES_USERNAME && env.ES_PASSWORD) return { username: env.ES_USERNAME, password: env.ES_PASSWORD };
  if (!param) return undefined;
  const ssm = new SSMClient(region ? { region } : {});
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: param, WithDecryption: true }));
    return parseEsCredentials(Parameter?.Value ?? '');
  } finally {
    ssm.destroy();
  }
}

const USAGE =
  'usage: es-setup.ts --stage <stage> --node <url> --retention-days <n> [--cluster-kind es-9|es-8|opensearch-2] [--auth secret|iam] ' +
  '[--credentials-param <ssm name>] [--region <r>] [--kibana-url <url> [--data-view-id <id>] [--kibana-space <space>]] [--lifecycle required|optional]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      node: { type: 'string' },
      'retention-days': { type: 'string' },
      'cluster-kind': { type: 'string', default: 'es-9' },
      auth: { type: 'string', default: 'secret' },
      'credentials-param': { type: 'string' },
      region: { type: 'string' },
      'kibana-url': { type: 'string' },
      'data-view-id': { type: 'string' },
      'kibana-space': { type: 'string' },
      lifecycle: { type: 'string', default: 'required' },
    },
  });
  const stage = values.stage;
  const node = values.node ?? process.env.ES_NODE;
  const retentionDays = Number(values['retention-days']);
  const lifecycle = values.lifecycle;
  if (!stage || !node || !Number.isInteger(retentionDays) || retentionDays < 1 || (lifecycle !== 'required' && lifecycle !== 'optional'))
    throw new Error(USAGE);
  const kind = parseClusterKind(values['cluster-kind']);
  const auth = parseClusterAuth(values.auth);
  checkClusterAuth(kind, auth);
  const region = values.region ?? process.env.AWS_REGION;
  let sign: RequestSigner;
  if (auth === ClusterAuth.iam) {
    if (!region) throw new Error('--auth iam needs --region (the domain’s region)');
    sign = sigV4Signer({ region, credentials: defaultProvider() });
  } else {
    sign = secretSigner(await credentialsFrom(process.env, values['credentials-param'], region));
  }
  const kibanaUrl = values['kibana-url'];
  const dashboards = kibanaUrl ? { url: kibanaUrl, dataViewId: values['data-view-id'], space: values['kibana-space'] } : undefined;
  const report = await esSetup({ stage, node, retentionDays, kind, sign, lifecycle, dashboards });
  const p = report.plan;
  console.log(
    `[es-setup] ${report.identity.product} ${report.identity.version} (${report.kind}) at ${node}: templates of stage ${stage} installed ` +
      `(json ${p.userJson === 'terms' ? 'in _source, its leaves as joblogs.json_kv terms' : p.userJson}, message ${p.text}, data_stream.* ${p.constant}, @timestamp ${p.timestamp}${p.indexMode ? `, index.mode ${p.indexMode}` : ''}, ` +
      `codec ${p.storage.codec}, _source ${p.storage.source}${p.storage.sorted ? ', sorted by job and merged order' : ''}); ` +
      `retention ${retentionDays}d by ${p.lifecycle}${report.retentionEnforced ? '' : ' (not enforced by this cluster)'}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error('[es-setup] failed:', error instanceof Error && 'code' in error ? error.message : error);
    process.exitCode = 1;
  });
}
