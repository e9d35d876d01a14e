/**
 * Installs the Elasticsearch index templates of one stage and, when a Kibana URL is given, the
 * stage's Kibana data view (fixed id, the one the signer's Discover links open). Run after every
 * deploy by deploy/sls-plugins/es-setup.cjs, and by the local stack's `up` (testkit/stack) with no Kibana.
 *
 *   tsx deploy/es-setup.ts --stage dev --node https://… --retention-days 14 --credentials-param /joblogs/dev/es-credentials \
 *     [--kibana-url https://kibana… [--data-view-id joblogs-dev] [--kibana-space ml]]
 *
 * Credentials: `ES_USERNAME`/`ES_PASSWORD` or `ES_API_KEY` from the environment when set (local),
 * else the SSM SecureString named by `--credentials-param` (decrypted), else none.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createEsClient, parseEsCredentials, type EsAuth } from '../shared/adapters/elasticsearch/client.js';
import { installIndexTemplates } from '../shared/adapters/elasticsearch/templates.js';
import { putDataView } from '../shared/adapters/kibana/data-views.js';
import { joblogsDataView } from '../shared/core/access/kibana.js';

export interface EsSetupOptions {
  stage: string;
  node: string;
  retentionDays: number;
  auth: EsAuth | undefined;
  /** Unset: no data view is provisioned. */
  kibana?: { url: string; dataViewId?: string | undefined; space?: string | undefined } | undefined;
}

export async function esSetup(options: EsSetupOptions): Promise<void> {
  const client = createEsClient({ node: options.node, auth: options.auth, requestTimeoutMs: 30_000 });
  try {
    await installIndexTemplates(client, { stage: options.stage, retentionDays: options.retentionDays });
  } finally {
    await client.close();
  }
  if (options.kibana) {
    const view = joblogsDataView(options.stage, options.kibana.dataViewId);
    await putDataView({ url: options.kibana.url, auth: options.auth, space: options.kibana.space }, view);
    console.log(`[es-setup] Kibana data view ${view.id} (${view.title}) provisioned on ${options.kibana.url}`);
  }
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      node: { type: 'string' },
      'retention-days': { type: 'string' },
      'credentials-param': { type: 'string' },
      region: { type: 'string' },
      'kibana-url': { type: 'string' },
      'data-view-id': { type: 'string' },
      'kibana-space': { type: 'string' },
    },
  });
  const stage = values.stage;
  const node = values.node ?? process.env.ES_NODE;
  const retentionDays = Number(values['retention-days']);
  if (!stage || !node || !Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new Error(
      'usage: es-setup.ts --stage <stage> --node <url> --retention-days <n> [--credentials-param <ssm name>] [--region <r>] [--kibana-url <url> [--data-view-id <id>] [--kibana-space <space>]]',
    );
  }
  const auth = await credentialsFrom(process.env, values['credentials-param'], values.region);
  const kibanaUrl = values['kibana-url'];
  const kibana = kibanaUrl ? { url: kibanaUrl, dataViewId: values['data-view-id'], space: values['kibana-space'] } : undefined;
  await esSetup({ stage, node, retentionDays, auth, kibana });
  console.log(`[es-setup] index templates installed for stage ${stage} on ${node} (retention ${retentionDays}d)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error('[es-setup] failed:', error);
    process.exitCode = 1;
  });
}
