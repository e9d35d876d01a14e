/**
 * The indexer behind the SQS runner in a process of its own, so a test can SIGKILL it mid-batch
 * as Lambda's sandbox can die. Prints one JSON line per event on stdout: `{"ready":true}`, then
 * `{"received":[receiptHandle…]}` before each invocation (a killed batch's messages stay
 * in flight, and the test needs their handles to make them visible again, as the visibility
 * timeout would), then the handler's own log lines.
 *
 * @example
 *   JOBLOGS_CHILD_ENV='{"ES_NODE":"http://127.0.0.1:…"}' node --import tsx testkit/pipeline/indexer-process.ts
 */
import { loadStack } from '../stack/local-stack.js';
import { startLocalPipeline } from './start-local-pipeline.js';

const stack = loadStack();
await startLocalPipeline({
  stack,
  indexer: {
    env: JSON.parse(process.env['JOBLOGS_CHILD_ENV'] ?? '{}') as Record<string, string>,
    functionTimeoutS: 60,
    wrap: (handler) => (event, context) => {
      process.stdout.write(`${JSON.stringify({ received: event.Records.map((r) => r.receiptHandle) })}\n`);
      return handler(event, context);
    },
  },
  logStream: process.stdout,
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
