/**
 * The viewer against the reference logs API, for trying it by hand:
 *
 *   tsx viewer/dev/serve.ts [--lines 1000000]
 *
 * builds the bundle, generates the demo jobs (a finished 1M-line job, a 4-rank job, a job that
 * keeps printing) and prints the page of each. Ports 8900–8999.
 */
import { buildViewer, BUNDLE_PATH, formatSize } from '../build.js';
import { JobStore } from './job-store.js';
import { startReferenceServer } from './reference-server.js';
import { createMultiSourceJob, createRunningJob, createTrainingJob, stepLine } from './synthetic-jobs.js';

const DEV_TOKEN = 'dev-alice';

async function main(): Promise<void> {
  const lines = Number(process.argv[process.argv.indexOf('--lines') + 1]) || 1_000_000;
  console.log(`[viewer] bundle: ${formatSize(await buildViewer())}`);
  const store = new JobStore();
  createTrainingJob(store, 'train-1m', lines);
  createMultiSourceJob(store, 'ddp-4');
  const live = createRunningJob(store, 'live-demo');
  let step = 1000;
  setInterval(() => {
    live.print({ source: 'main', ...stepLine(step++) });
    live.wake();
  }, 500).unref();
  const server = await startReferenceServer({
    store,
    tokens: new Map([[DEV_TOKEN, { sub: 'alice', teams: ['ml'] }]]),
    bundlePath: BUNDLE_PATH,
    pageToken: DEV_TOKEN,
  });
  console.log(`[viewer] reference logs API on ${server.url} (token "${DEV_TOKEN}")`);
  for (const job of ['train-1m', 'ddp-4', 'live-demo']) console.log(`[viewer] ${server.url}/view/${job}`);
}

await main();
