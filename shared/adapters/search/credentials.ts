import { ConfigError } from '../../core/errors.js';

/** The credentials secret is malformed; the message never contains any of it. */
export class EsCredentialsError extends ConfigError {
  override readonly code = 'BAD_ES_CREDENTIALS';
  constructor(message: string) {
    super(message, { problems: [message] });
  }
}

/** What an SSM SecureString may hold for the cluster: a user and password, or an API key. */
export type EsAuth = { username: string; password: string } | { apiKey: string };

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
      throw new EsCredentialsError('Cluster credentials are not valid JSON (the value is not shown)');
    }
  }
  const v = value as Record<string, unknown> | null;
  if (v && typeof v['apiKey'] === 'string') return { apiKey: v['apiKey'] };
  if (v && typeof v['username'] === 'string' && typeof v['password'] === 'string') {
    return { username: v['username'], password: v['password'] };
  }
  throw new EsCredentialsError('Cluster credentials must be JSON {"username","password"} or {"apiKey"}');
}

/** The `Authorization` header of basic or API key credentials (Elasticsearch, Kibana, OpenSearch's security plugin). */
export function authorizationHeader(auth: EsAuth): string {
  if ('apiKey' in auth) return `ApiKey ${auth.apiKey}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}
