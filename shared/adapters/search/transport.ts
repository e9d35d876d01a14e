import { SearchUnavailableError } from '../../core/errors.js';
import type { RequestSigner } from './signers.js';

export interface ClusterCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Path from the node's root, e.g. `/_bulk` (its segments already encoded). */
  path: string;
  query?: Record<string, string | number | boolean> | undefined;
  /** NDJSON bytes (sent as `application/x-ndjson`) or a JSON value. */
  body?: Buffer | unknown;
  timeoutMs?: number | undefined;
}

export interface ClusterAnswer<T = unknown> {
  status: number;
  /** Parsed JSON; the text when the answer is not JSON. */
  body: T;
  headers: Headers;
}

/**
 * The one way joblogs talks to its cluster, whichever kind: plain HTTP (Node's fetch, pooled
 * keep-alive connections) with the request signed by `sign`. Every answer comes back with its
 * status, errors included; only a request that got no answer (refused, reset, timed out) throws
 * — a {@link SearchUnavailableError}, transient.
 */
export interface ClusterTransport {
  readonly node: string;
  request<T = unknown>(call: ClusterCall): Promise<ClusterAnswer<T>>;
}

export interface TransportOptions {
  /** Base URL; a path prefix (a proxy's) is kept. */
  node: string;
  sign: RequestSigner;
  requestTimeoutMs: number;
}

export function httpTransport(o: TransportOptions): ClusterTransport {
  const base = o.node.replace(/\/+$/, '');
  return {
    node: base,
    async request<T>(call: ClusterCall): Promise<ClusterAnswer<T>> {
      const url = new URL(`${base}${call.path}${queryString(call.query)}`);
      const ndjson = Buffer.isBuffer(call.body);
      const body = call.body === undefined ? undefined : ndjson ? (call.body as Buffer) : Buffer.from(JSON.stringify(call.body));
      const headers: Record<string, string> = body ? { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' } : {};
      Object.assign(headers, await o.sign({ method: call.method, url, headers, body }));
      let response: Response;
      try {
        response = await fetch(url, { method: call.method, headers, ...(body ? { body } : {}), signal: AbortSignal.timeout(call.timeoutMs ?? o.requestTimeoutMs) });
        const text = await response.text();
        return { status: response.status, body: parseBody(text, response.headers) as T, headers: response.headers };
      } catch (error) {
        throw new SearchUnavailableError(`No answer from the cluster at ${base} (${call.method} ${call.path}): ${reasonOf(error)}`, { cause: error });
      }
    },
  };
}

/** `%20`, never `+`, for a space: what SigV4's canonical query and every server read alike. */
function queryString(query: ClusterCall['query']): string {
  const pairs = Object.entries(query ?? {}).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function parseBody(text: string, headers: Headers): unknown {
  if (!(headers.get('content-type') ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `fetch failed` says nothing: the reason is in the cause (ECONNREFUSED, a timeout, a reset). */
function reasonOf(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/** The cluster's own reason of an error answer, for messages (never the request). */
export function errorReason(answer: ClusterAnswer): string {
  const body = answer.body as { error?: { reason?: string; type?: string } | string } | string;
  if (typeof body === 'string') return body.slice(0, 300);
  const error = body?.error;
  if (typeof error === 'string') return error.slice(0, 300);
  return `${error?.type ?? 'error'}: ${error?.reason ?? ''}`.slice(0, 300);
}

/** Whether an answer is 2xx. */
export const isOk = (answer: ClusterAnswer): boolean => answer.status >= 200 && answer.status < 300;
