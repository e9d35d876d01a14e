/**
 * The local stack from the command line (testkit/stack/lifecycle.ts, testkit/stack/host.ts): a real
 * search cluster + moto (S3, SQS, SSM), provisioned from the packaged CloudFormation template of
 * stage `local`, and the host that keeps the functions consuming and serves the API.
 *
 *   tsx scripts/stack.ts up [--no-host] [--cluster es-9|es-8|opensearch-2]
 *                                         # idempotent: keeps what runs (a cluster of another kind is replaced); prints how to use it
 *   tsx scripts/stack.ts status           # exit 0 when both services answer (and shows the host)
 *   tsx scripts/stack.ts down             # stops the host and every service any `up` started (keeps .local/es-data)
 *   tsx scripts/stack.ts host stop|start  # the host alone (tests and benchmarks run their own functions)
 *
 * Ports: JOBLOGS_ES_PORT (default 9201), JOBLOGS_MOTO_PORT (5055), JOBLOGS_API_PORT (8788),
 * JOBLOGS_ISSUER_PORT (9400). Everything lands in .local/.
 */
import { parseClusterKind } from '../shared/core/cluster/index.js';
import { ensureHost, stopHost } from '../testkit/stack/host.js';
import { readStackFile, stackDown, stackUp, status, type ProvisionedStack } from '../testkit/stack/index.js';
import { printQuickStart } from '../testkit/stack/quick-start.js';

const args = process.argv.slice(2);

async function host(action: string | undefined): Promise<boolean> {
  if (action === 'stop') return (console.log((await stopHost()) ? '[stack] host stopped' : '[stack] no host was running'), true);
  const stack = readStackFile();
  if (action !== 'start' || !stack?.resources)
    throw new Error(action === 'start' ? 'No local stack: run `npm run stack:up`' : 'usage: tsx scripts/stack.ts host start|stop');
  printQuickStart(stack as ProvisionedStack, await ensureHost(stack as ProvisionedStack));
  return true;
}

const commands: Record<string, () => Promise<boolean>> = {
  up: async () => (await stackUp({ host: !args.includes('--no-host'), ...clusterOption() }), true),
  down: async () => (await stackDown(), true),
  status,
  host: () => host(args[1]),
};

/** `--cluster <kind>` (or `--cluster=<kind>`); unset: JOBLOGS_CLUSTER, else es-9. */
function clusterOption(): { cluster?: ReturnType<typeof parseClusterKind> } {
  const i = args.findIndex((a) => a === '--cluster' || a.startsWith('--cluster='));
  if (i < 0) return {};
  return { cluster: parseClusterKind(args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1]) };
}

const command = commands[args[0] ?? ''];
if (!command) {
  console.error('usage: tsx scripts/stack.ts up [--no-host] [--cluster es-9|es-8|opensearch-2] | down | status | host start|stop');
  process.exitCode = 2;
} else {
  command().then(
    (ok) => (process.exitCode = ok ? 0 : 1),
    (error: unknown) => {
      console.error('[stack] failed:', error);
      process.exitCode = 1;
    },
  );
}
