/**
 * The local stack from the command line (testkit/stack/lifecycle.ts): real Elasticsearch + moto
 * (S3, SQS, SSM), provisioned from the packaged CloudFormation template of stage `local`.
 *
 *   tsx scripts/stack.ts up       # idempotent: reuses what is already running
 *   tsx scripts/stack.ts status   # exit 0 when both services answer
 *   tsx scripts/stack.ts down     # stops what `up` started (keeps .local/es-data)
 *
 * Ports: JOBLOGS_ES_PORT (default 9201), JOBLOGS_MOTO_PORT (default 5055). Everything lands in .local/.
 */
import { stackDown, stackUp, status } from '../testkit/stack/index.js';

const commands: Record<string, () => Promise<boolean>> = {
  up: async () => (await stackUp(), true),
  down: async () => (await stackDown(), true),
  status,
};

const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: tsx scripts/stack.ts up|down|status');
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
