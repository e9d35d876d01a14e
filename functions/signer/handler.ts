import { loadSignerConfig } from '../../shared/config/signer-config.js';
import { createSignerHandler } from './create-handler.js';

/** Lambda entry point: `GET /jobs/{jobId}/logs` (HTTP API). Config is validated at cold start. */
export const handler = createSignerHandler(loadSignerConfig());
