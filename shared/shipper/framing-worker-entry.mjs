// The framing worker's script when joblogs runs from its TypeScript sources (tsx, vitest); the
// bundle is its own worker script. See framing-worker.ts.
import { register } from 'tsx/esm/api';

register();
const { runFramingWorker } = await import('./framing-worker.ts');
runFramingWorker();
