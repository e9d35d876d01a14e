import { loadLogsApiConfig } from '../../shared/config/logs-api-config.js';
import { createLogsApiHandler } from './create-handler.js';

/** Lambda entry point: `GET /jobs/{jobId}`, `/lines`, `/search` (HTTP API). Config is validated at cold start. */
export const handler = createLogsApiHandler(loadLogsApiConfig());
