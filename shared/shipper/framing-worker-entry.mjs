// The framing worker's script when joblogs runs from its TypeScript sources (tsx, vitest); the
// CLI bundle embeds a bundled copy instead. See framing-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./framing-worker-main');
