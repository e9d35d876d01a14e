import { Client } from '@elastic/elasticsearch';

export type EsAuth = { username: string; password: string } | { apiKey: string };

export interface EsClientOptions {
  node: string;
  auth?: EsAuth | undefined;
  requestTimeoutMs: number;
}

/**
 * One client per container. Retries are ours (jittered, deadline-aware, per bulk item), so the
 * client's own are off. https://www.elastic.co/docs/reference/elasticsearch/clients/javascript/basic-config
 */
export function createEsClient(options: EsClientOptions): Client {
  return new Client({
    node: options.node,
    ...(options.auth ? { auth: options.auth } : {}),
    requestTimeout: options.requestTimeoutMs,
    maxRetries: 0,
    compression: false,
  });
}

/** Parses the JSON secret stored in SSM / Secrets Manager: `{"username","password"}` or `{"apiKey"}`. */
export function parseEsCredentials(secret: unknown): EsAuth {
  const value = typeof secret === 'string' ? (JSON.parse(secret) as unknown) : secret;
  const v = value as Record<string, unknown> | null;
  if (v && typeof v['apiKey'] === 'string') return { apiKey: v['apiKey'] };
  if (v && typeof v['username'] === 'string' && typeof v['password'] === 'string') {
    return { username: v['username'], password: v['password'] };
  }
  throw new Error('Elasticsearch credentials must be JSON {"username","password"} or {"apiKey"}');
}
