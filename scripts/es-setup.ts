/**
 * Installs the Elasticsearch index templates of one stage. Run after every deploy by
 * scripts/sls-plugins/es-setup.cjs, and by `stack.ts up` for the local stack.
 *
 *   tsx scripts/es-setup.ts --stage dev --node https://… --retention-days 14 --credentials-param /joblogs/dev/es-credentials
 *
 * Credentials: `ES_USERNAME`/`ES_PASSWORD` or `ES_API_KEY` from the environment when set (local),
 * else the SSM SecureString named by `--credentials-param` (decrypted), else none.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createEsClient, parseEsCredentials, type EsAuth } from '../shared/adapters/elasticsearch/client.js';
import { installIndexTemplates } from '../shared/adapters/elasticsearch/templates.js';

export interface EsSetupOptions {
  stage: string;
  node: string;
  retentionDays: number;
  auth: EsAuth | undefined;
}

export async function esSetup(options: EsSetupOptions): Promise<void> {
  const client = createEsClient({ node: options.node, auth: options.auth, requestTimeoutMs: 30_000 });
  try {
    await installIndexTemplates(client, { stage: options.stage, retentionDays: options.retentionDays });
  } finally {
    await client.close();
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
    },
  });
  const stage = values.stage;
  const node = values.node ?? process.env.ES_NODE;
  const retentionDays = Number(values['retention-days']);
  if (!stage || !node || !Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new Error('usage: es-setup.ts --stage <stage> --node <url> --retention-days <n> [--credentials-param <ssm name>] [--region <r>]');
  }
  const auth = await credentialsFrom(process.env, values['credentials-param'], values.region);
  await esSetup({ stage, node, retentionDays, auth });
  console.log(`[es-setup] index templates installed for stage ${stage} on ${node} (retention ${retentionDays}d)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error('[es-setup] failed:', error);
    process.exitCode = 1;
  });
}
