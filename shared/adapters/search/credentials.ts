import { Client } from '@elastic/elasticsearch';
import { ConfigError } from '../../core/errors.js';

/** The credentials secret is malformed; the message never contains any of it. */
export class EsCredentialsError extends ConfigError {
  override readonly code = 'BAD_ES_CREDENTIALS';
  constructor(message: string) {
    super(message, { problems: [message] });
  }
}

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

/**
 * Parses the JSON secret stored in SSM / Secrets Manager: `{"username","password"}` or `{"apiKey"}`.
 * Errors never quote the value: `JSON.parse` puts a piece of its input in its message, so a
 * malformed secret would leak into the function's log.
 */
export function parseEsCredentials(secret: unknown): EsAuth {
  let value: unknown = secret;
  if (typeof secret === 'string') {
    try {
      value = JSON.parse(secret);
    } catch {
      throw new EsCredentialsError('Elasticsearch credentials are not valid JSON (the value is not shown)');
    }
  }
  const v = value as Record<string, unknown> | null;
  if (v && typeof v['apiKey'] === 'string') return { apiKey: v['apiKey'] };
  if (v && typeof v['username'] === 'string' && typeof v['password'] === 'string') {
    return { username: v['username'], password: v['password'] };
  }
  throw new EsCredentialsError('Elasticsearch credentials must be JSON {"username","password"} or {"apiKey"}');
}
