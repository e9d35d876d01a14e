import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
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
  /** Lower-case names. */
  headers: IncomingHttpHeaders;
}

/**
 * The one way joblogs talks to its cluster, whichever kind: plain HTTP(S) with keep-alive
 * connections, the request signed by `sign`. Every answer comes back with its status, errors
 * included; only a request that got no answer (refused, reset, timed out) throws — a
 * {@link SearchUnavailableError}, transient.
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

/**
 * node:http rather than `fetch`: measured on the indexer's bulk path (20 × 2 000 documents) it
 * spends ~40 % of fetch's client CPU and no more than the official client's undici transport,
 * and it asks for no response compression (fetch always offers gzip/br, which the cluster then
 * spends CPU on). One keep-alive agent per transport: connections are reused across invocations.
 */
export function httpTransport(o: TransportOptions): ClusterTransport {
  const base = o.node.replace(/\/+$/, '');
  const agent = base.startsWith('https:') ? new https.Agent({ keepAlive: true, timeout: 30_000 }) : new http.Agent({ keepAlive: true, timeout: 30_000 });
  return {
    node: base,
    async request<T>(call: ClusterCall): Promise<ClusterAnswer<T>> {
      const url = new URL(`${base}${call.path}${queryString(call.query)}`);
      const ndjson = Buffer.isBuffer(call.body);
      const body = call.body === undefined ? undefined : ndjson ? (call.body as Buffer) : Buffer.from(JSON.stringify(call.body));
      const headers: Record<string, string> = body ? { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' } : {};
      Object.assign(headers, await o.sign({ method: call.method, url, headers, body }));
      try {
        const answer = await send(url, { method: call.method, headers, body, agent, timeoutMs: call.timeoutMs ?? o.requestTimeoutMs });
        return { status: answer.status, body: parseBody(answer.text, answer.headers) as T, headers: answer.headers };
      } catch (error) {
        throw new SearchUnavailableError(`No answer from the cluster at ${base} (${call.method} ${call.path}): ${reasonOf(error)}`, { cause: error });
      }
    },
  };
}

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request and its whole answer; the timeout covers both (a slow answer is no answer). */
function send(url: URL, o: { method: string; headers: Record<string, string>; body: Buffer | undefined; agent: http.Agent; timeoutMs: number }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const headers = o.body ? { ...o.headers, 'content-length': String(o.body.length) } : o.headers;
    const request = lib.request(url, { method: o.method, headers, agent: o.agent }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(parts).toString('utf8') });
      });
      response.on('error', fail);
    });
    const timer = setTimeout(() => request.destroy(Object.assign(new Error(`timed out after ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })), o.timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(o.body);
  });
}

/** `%20`, never `+`, for a space: what SigV4's canonical query and every server read alike. */
function queryString(query: ClusterCall['query']): string {
  const pairs = Object.entries(query ?? {}).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function parseBody(text: string, headers: IncomingHttpHeaders): unknown {
  if (!(headers['content-type'] ?? '').includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code === 'ETIMEDOUT' ? (e.message ?? 'timed out') : (e.code ?? e.message ?? String(error));
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
