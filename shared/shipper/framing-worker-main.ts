// The framing worker's whole program: `cli/build.ts` bundles this file on its own and embeds the
// result in the CLI bundle, so the worker loads a few kilobytes, not the CLI and the AWS SDK.
import { runFramingWorker } from './framing-worker.js';

runFramingWorker();
