import { PermanentError, TransientError } from '../../core/errors.js';
import type { RequestSigner } from '../search/signers.js';

/** Kibana or OpenSearch Dashboards answered 4xx: the request or the credentials are wrong, retrying will not help. */
export class DashboardsRequestError extends PermanentError {
  readonly code = 'DASHBOARDS_REQUEST_REJECTED';
}

/** Kibana or OpenSearch Dashboards could not be reached or answered 5xx. */
export class DashboardsUnavailableError extends TransientError {
  readonly code = 'DASHBOARDS_UNAVAILABLE';
}

export interface DashboardsOptions {
  /** Base URL, e.g. `https://kibana.dev.example.com` or `https://<domain>/_dashboards` (a base path, if any, included). */
  url: string;
  /** Basic/API key credentials (Kibana, OpenSearch's security plugin) or SigV4 (Amazon OpenSearch Service). */
  sign: RequestSigner;
  /** Kibana space, or OpenSearch Dashboards tenant; unset = the default one. */
  space?: string | undefined;
  timeoutMs?: number;
}

/** One JSON POST to a dashboards API; resolves with the answer's text. */
export async function postDashboards(
  o: DashboardsOptions,
  call: { path: string; headers: Record<string, string>; body: unknown; what: string },
): Promise<string> {
  const url = new URL(`${o.url.replace(/\/+$/, '')}${call.path}`);
  const body = Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...call.headers };
  Object.assign(headers, await o.sign({ method: 'POST', url, headers, body }));
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new DashboardsUnavailableError(`Could not reach ${url.origin}${url.pathname}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    const details = { status: response.status, url: url.toString(), response: text.slice(0, 500) };
    const message = `${call.what} refused (HTTP ${response.status}): ${text.slice(0, 200)}`;
    throw response.status >= 500 ? new DashboardsUnavailableError(message, { details }) : new DashboardsRequestError(message, { details });
  }
  return text;
}

// biome-ignore lint/suspicious/noExplicitAny: the dashboards' answer is JSON read field by field
export function storedId(text: string, pick: (parsed: any) => unknown): string | undefined {
  try {
    const id = pick(JSON.parse(text));
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
