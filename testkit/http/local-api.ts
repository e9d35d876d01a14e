/**
 * The stage's HTTP API on loopback: every HTTP function of the packaged template (the signer, the
 * logs API) built from its template environment and served on the routes the template gives it,
 * checking tokens of the local issuer. The local stack's host serves it; tests that want the whole
 * API at once start it too.
 *
 * @example
 * const idp = await startIssuer({ audience: 'joblogs-local' });
 * const api = await startLocalApi({ stack, issuer: idp.issuer });
 * await fetch(`${api.url}/jobs/my-job/lines`, { headers: { authorization: `Bearer ${await idp.token({ sub: 'alice', teams: ['ml'] })}` } });
 */
import { createLogsApiHandler } from '../../functions/logs-api/create-handler.js';
import { createSignerHandler } from '../../functions/signer/create-handler.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { loadLogsApiConfig } from '../../shared/config/logs-api-config.js';
import { loadSignerConfig } from '../../shared/config/signer-config.js';
import type { HttpFunction, ProvisionedStack } from '../stack/stack-file.js';
import { startHttpApi, type HttpApi, type HttpApiHandler, type HttpApiOptions } from './http-api.js';

export interface LocalApiOptions extends HttpApiOptions {
  stack: ProvisionedStack;
  /** The local issuer's URL: the functions' `JWT_ISSUER` (tokens' `iss`). */
  issuer: string;
  /** Where the functions log (JSON lines); stdout by default. */
  logStream?: NodeJS.WritableStream;
  /** Variables on top of both functions' template environment. */
  env?: Record<string, string>;
}

/** The template's environment of an HTTP function, pointed at the local issuer, moto and Elasticsearch. */
function localEnv(fn: HttpFunction, o: LocalApiOptions, extra: Record<string, string> = {}): Record<string, string> {
  return { ...fn.environment, JWT_ISSUER: o.issuer, S3_FORCE_PATH_STYLE: 'true', ...extra, ...o.env };
}

/** Serves the signer and the logs API on their template routes; see the module's example. */
export function startLocalApi(o: LocalApiOptions): Promise<HttpApi> {
  const { signer, logsApi } = o.stack.resources;
  const out = o.logStream ?? process.stdout;
  const signerHandler = createSignerHandler(loadSignerConfig(localEnv(signer, o)), { logger: createLogger('joblogs-signer', out) });
  const logsHandler = createLogsApiHandler(loadLogsApiConfig(localEnv(logsApi, o, { ES_NODE: o.stack.elasticsearch.url })), {
    logger: createLogger('joblogs-logs-api', out),
  });
  const routes: Record<string, HttpApiHandler> = {};
  for (const route of signer.routes) routes[route] = signerHandler as HttpApiHandler;
  for (const route of logsApi.routes) routes[route] = logsHandler as HttpApiHandler;
  return startHttpApi(routes, o);
}
