import type { DataView } from '../../core/access/kibana.js';
import { PermanentError, TransientError } from '../../core/errors.js';
import type { EsAuth } from '../elasticsearch/client.js';

/**
 * Kibana's data views API
 * (https://www.elastic.co/guide/en/kibana/current/data-views-api-create.html):
 * `POST /api/data_views/data_view` with `override: true` creates the view or replaces the one
 * with the same id, so running the setup step again is harmless. Kibana refuses state-changing
 * calls without the `kbn-xsrf` header (any value).
 */
export interface KibanaOptions {
  /** Base URL, e.g. `https://kibana.dev.example.com` (a base path, if any, included). */
  url: string;
  /** Kibana accepts the same credentials as Elasticsearch (basic or an API key). */
  auth: EsAuth | undefined;
  /** Kibana space; unset = the default space. */
  space?: string;
  timeoutMs?: number;
}

/** Kibana answered 4xx: the request or the credentials are wrong, retrying will not help. */
export class KibanaRequestError extends PermanentError {
  readonly code = 'KIBANA_REQUEST_REJECTED';
}

/** Kibana could not be reached or answered 5xx. */
export class KibanaUnavailableError extends TransientError {
  readonly code = 'KIBANA_UNAVAILABLE';
}

export function dataViewRequestBody(view: DataView): unknown {
  return {
    data_view: {
      id: view.id,
      name: view.name,
      title: view.title,
      timeFieldName: view.timeFieldName,
      // The stage's data streams appear with their first document, possibly after this runs.
      allowNoIndex: true,
    },
    override: true,
  };
}

/** Creates or replaces the data view; resolves with the id Kibana stored. */
export async function putDataView(o: KibanaOptions, view: DataView): Promise<{ id: string }> {
  const base = o.url.replace(/\/+$/, '');
  const url = `${base}${o.space ? `/s/${encodeURIComponent(o.space)}` : ''}/api/data_views/data_view`;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'kbn-xsrf': 'joblogs-setup' };
  if (o.auth) headers['Authorization'] = authorization(o.auth);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(dataViewRequestBody(view)),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new KibanaUnavailableError(`Could not reach Kibana at ${url}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    const details = { status: response.status, url, response: text.slice(0, 500) };
    const message = `Kibana refused data view ${view.id} (HTTP ${response.status}): ${text.slice(0, 200)}`;
    throw response.status >= 500 ? new KibanaUnavailableError(message, { details }) : new KibanaRequestError(message, { details });
  }
  return { id: storedId(text) ?? view.id };
}

function storedId(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { data_view?: { id?: string } }).data_view?.id;
  } catch {
    return undefined;
  }
}

function authorization(auth: EsAuth): string {
  if ('apiKey' in auth) return `ApiKey ${auth.apiKey}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}
