/** What `stack:up` prints: the environment a producer needs, how to register and run a job, and how to read it back. */
import { DEFAULT_PORTS, type HostInfo } from './host.js';
import type { ProvisionedStack } from './stack-file.js';

/** The variables a producer on this machine needs (the shipper CLI, the library, the Python client). */
export function producerEnv(stack: ProvisionedStack): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: stack.moto.url,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    JOBLOGS_BUCKET: stack.resources.bucket,
    JOBLOGS_S3_FORCE_PATH_STYLE: '1',
  };
}

/** The local viewer's page of a job, signed in as `user` of `team` (testkit/stack/host-main.ts). */
export function viewerUrl(host: HostInfo, jobId: string, user = 'alice', team = 'ml'): string {
  return `${host.apiUrl}/view/${encodeURIComponent(jobId)}?${new URLSearchParams({ user, team })}`;
}

/** The `joblogs dev-token` command for this host (its `--issuer` only when not the default port). */
export function devTokenCommand(host: HostInfo, user = 'alice', team = 'ml'): string {
  const issuer = host.issuerUrl === `http://127.0.0.1:${DEFAULT_PORTS.issuer}` ? '' : ` --issuer ${host.issuerUrl}`;
  return `npx joblogs dev-token --user ${user} --team ${team}${issuer}`;
}

export function quickStartText(stack: ProvisionedStack, host: HostInfo): string {
  const env = Object.entries(producerEnv(stack))
    .map(([k, v]) => `${k}=${v}`)
    .join(' \\\n         ');
  return [
    '',
    `The local stack runs: the indexer and the assembler consume their queues; the API answers on ${host.apiUrl}.`,
    '',
    "1. A producer's environment:",
    `  export ${env}`,
    "2. Register a job (what the platform's launcher does), then run your program under the shipper:",
    '  npx joblogs register --job-id my-job --owner alice --team ml',
    '  npx joblogs run --job-id my-job -- python train.py',
    '3. Read it through the logs API (docs/logs-api.md):',
    `  TOKEN=$(${devTokenCommand(host)})`,
    `  curl -H "Authorization: Bearer $TOKEN" ${host.apiUrl}/jobs/my-job`,
    `  curl -H "Authorization: Bearer $TOKEN" "${host.apiUrl}/jobs/my-job/lines?limit=20"`,
    `  curl -H "Authorization: Bearer $TOKEN" "${host.apiUrl}/jobs/my-job/lines?after=start&wait=20"   # the live tail`,
    `  curl -H "Authorization: Bearer $TOKEN" ${host.apiUrl}/jobs/my-job/logs                          # the download link`,
    '4. Or open the log viewer (docs/viewer.md):',
    `  ${viewerUrl(host, 'my-job')}`,
    '',
    `Functions log to ${host.functionsLog}; \`npm run stack:down\` stops everything.`,
    '',
  ].join('\n');
}

export function printQuickStart(stack: ProvisionedStack, host: HostInfo): void {
  console.log(quickStartText(stack, host));
}
