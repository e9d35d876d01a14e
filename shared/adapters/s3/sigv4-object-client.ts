import { defaultProvider } from '@aws-sdk/credential-provider-node';
import {
  booleanSelector,
  CONFIG_PREFIX_SEPARATOR,
  loadConfig,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS,
  NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
  NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
  SelectorType,
} from '@smithy/core/config';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { S3ResponseError, type ObjectRef, type PutObjectRequest, type S3CallOptions, type S3ObjectClient } from './object-client.js';

export interface SigV4ObjectClientOptions {
  /** Default: the SDK's region chain (`AWS_REGION`, the profile's `region`, the instance's region). */
  region?: string;
  /**
   * Default: what the SDK reads — `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
   * `endpoint_url` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`) — else S3's regional endpoint
   * (FIPS and dual-stack as `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` say).
   */
  endpoint?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`); also used for an IP endpoint and for bucket names with dots. */
  forcePathStyle?: boolean;
  /** Default: the SDK's default credential chain (`defaultProvider`: env, web identity, SSO, profile, process, ECS, IMDS). */
  credentials?: AwsCredentialIdentityProvider;
  /** Connections kept per host (keep-alive); default 4. */
  maxSockets?: number;
}

/** An error's `Date` this far from ours means our clock is off: later requests are signed with the server's time. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The producer's S3 calls ({@link S3ObjectClient}) as plain HTTPS requests signed with SigV4 by
 * `@smithy/signature-v4`, with the AWS SDK's own credential chain and its region and endpoint
 * settings: what the `joblogs` CLI uses instead of `@aws-sdk/client-s3`, whose middleware stack,
 * schemas and checksums cost the shipper memory and CPU per request (docs/shipper-footprint.md).
 * Errors have the SDK's shape (S3's code as `name`, `$metadata.httpStatusCode`). One attempt per
 * call: callers retry (the uploader with its own backoff). A clock more than 5 minutes off S3's
 * is corrected from the answer's `Date`, as the SDK does.
 *
 * @example
 * const s3 = new SigV4ObjectClient({ forcePathStyle: true }); // region, endpoint, credentials as the SDK finds them
 * await s3.putObject({ bucket, key, body, contentType: 'application/gzip', ifNoneMatch: '*' });
 */
export class SigV4ObjectClient implements S3ObjectClient {
  readonly #o: SigV4ObjectClientOptions;
  readonly #agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  #target: Promise<Target> | undefined;
  #clockOffsetMs = 0;

  constructor(options: SigV4ObjectClientOptions = {}) {
    this.#o = options;
    for (const agent of Object.values(this.#agents)) agent.maxSockets = options.maxSockets ?? 4;
  }

  async putObject(r: PutObjectRequest, o?: S3CallOptions): Promise<void> {
    const headers: Record<string, string> = { 'content-type': r.contentType };
    for (const [name, value] of Object.entries(r.metadata ?? {})) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    if (r.ifNoneMatch) headers['if-none-match'] = r.ifNoneMatch;
    await this.#send({ method: 'PUT', ...r, headers, body: typeof r.body === 'string' ? Buffer.from(r.body) : r.body }, o);
  }

  async headObject(r: ObjectRef, o?: S3CallOptions): Promise<{ metadata: Record<string, string> }> {
    const { headers } = await this.#send({ method: 'HEAD', ...r }, o);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
    return { metadata };
  }

  async getObjectText(r: ObjectRef, o?: S3CallOptions): Promise<string> {
    return (await this.#send({ method: 'GET', ...r }, o)).body.toString('utf8');
  }

  async listKeys(r: { bucket: string; prefix: string; maxKeys: number }, o?: S3CallOptions): Promise<string[]> {
    const query = { 'list-type': '2', 'max-keys': String(r.maxKeys), prefix: r.prefix };
    const { body } = await this.#send({ method: 'GET', bucket: r.bucket, key: '', query }, o);
    return [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1]!));
  }

  destroy(): void {
    for (const agent of Object.values(this.#agents)) agent.destroy();
  }

  async #send(r: S3Request, o: S3CallOptions = {}): Promise<S3Answer> {
    const target = await (this.#target ??= this.#resolve().catch((error: unknown) => {
      this.#target = undefined;
      throw error;
    }));
    const url = objectUrl(target.endpoint, r.bucket, r.key, this.#o.forcePathStyle === true);
    const body = r.body ?? Buffer.alloc(0);
    const request = {
      method: r.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: r.query ?? {},
      headers: { ...r.headers, host: url.host, ...(r.method === 'PUT' ? { 'content-length': String(body.length) } : {}) },
      body,
    };
    const signed = await target.signer.sign(request, { signingDate: new Date(Date.now() + this.#clockOffsetMs) });
    const answer = await exchange(this.#agents[url.protocol as 'http:' | 'https:'], url, signed.headers as Record<string, string>, r, body, o.signal);
    if (answer.status >= 200 && answer.status < 300) return answer;
    this.#noteServerTime(answer.headers['date']);
    throw responseError(answer);
  }

  async #resolve(): Promise<Target> {
    const region = this.#o.region ?? (await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)());
    const endpoint = new URL(this.#o.endpoint ?? (await configuredEndpoint()) ?? (await regionalEndpoint(region)));
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error(`S3 endpoint ${endpoint.href} must be http(s)`);
    const credentials = this.#o.credentials ?? defaultProvider();
    const signer = new SignatureV4({ service: 's3', region, credentials, sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
    return { endpoint, signer };
  }

  #noteServerTime(date: string | string[] | undefined): void {
    const server = typeof date === 'string' ? Date.parse(date) : Number.NaN;
    if (!Number.isNaN(server) && Math.abs(server - (Date.now() + this.#clockOffsetMs)) > CLOCK_SKEW_MS) this.#clockOffsetMs = server - Date.now();
  }
}

interface Target {
  endpoint: URL;
  signer: SignatureV4;
}

interface S3Request extends ObjectRef {
  method: 'PUT' | 'GET' | 'HEAD';
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
}

interface S3Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function exchange(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  r: S3Request,
  body: Buffer,
  signal: AbortSignal | undefined,
): Promise<S3Answer> {
  // Encoded as the signer encodes the canonical query (RFC 3986).
  const search = Object.entries(r.query ?? {})
    .map(([name, value]) => `${encodeSegment(name)}=${encodeSegment(value)}`)
    .join('&');
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      { agent, method: r.method, hostname: url.hostname, port: url.port || undefined, path: `${url.pathname}${search ? `?${search}` : ''}`, headers, signal },
      (res) => {
        const pieces: Buffer[] = [];
        res.on('data', (piece: Buffer) => pieces.push(piece));
        res.once('error', reject);
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(pieces) }));
      },
    );
    req.once('error', reject);
    req.end(r.method === 'PUT' ? body : undefined);
  });
}

/** Virtual-hosted (`<bucket>.<host>`) unless path style is asked for or needed (an IP endpoint, a bucket name that is no DNS label). */
export function objectUrl(endpoint: URL, bucket: string, key: string, forcePathStyle: boolean): URL {
  const url = new URL(endpoint.href);
  const keyPath = key.split('/').map(encodeSegment).join('/');
  const pathStyle = forcePathStyle || isIP(endpoint.hostname.replace(/^\[|\]$/g, '')) !== 0 || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);
  const base = url.pathname.replace(/\/$/, '');
  if (pathStyle) {
    url.pathname = `${base}/${bucket}/${keyPath}`;
  } else {
    url.hostname = `${bucket}.${url.hostname}`;
    url.pathname = `${base}/${keyPath}`;
  }
  return url;
}

/** RFC 3986 encoding of one key segment, as the SDK does it (`extendedEncodeURIComponent`). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The endpoint the SDK's shared configuration names for S3, if any (`getEndpointFromConfig('S3')` of @smithy/core). */
async function configuredEndpoint(): Promise<string | undefined> {
  const ignore = await loadConfig({
    environmentVariableSelector: (env) => booleanSelector(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', SelectorType.ENV),
    configFileSelector: (profile) => booleanSelector(profile, 'ignore_configured_endpoint_urls', SelectorType.CONFIG),
    default: false,
  })();
  if (ignore) return undefined;
  return loadConfig<string | undefined>({
    environmentVariableSelector: (env) => env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined,
    configFileSelector: (profile, config) => {
      const services = profile['services'] ? config?.[['services', profile['services']].join(CONFIG_PREFIX_SEPARATOR)] : undefined;
      return services?.[['s3', 'endpoint_url'].join(CONFIG_PREFIX_SEPARATOR)] ?? profile['endpoint_url'];
    },
    default: undefined,
  })();
}

async function regionalEndpoint(region: string): Promise<string> {
  const fips = await loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS)();
  const dualStack = await loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS)();
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://s3${fips ? '-fips' : ''}${dualStack ? '.dualstack' : ''}.${region}.${suffix}`;
}

/** Names for answers without an XML body (HEAD), as the SDK reports them. */
const STATUS_CODES: Record<number, string> = { 301: 'PermanentRedirect', 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 412: 'PreconditionFailed' };

function responseError(answer: S3Answer): S3ResponseError {
  const xml = answer.body.toString('utf8');
  const field = (name: string) => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
    return m ? xmlText(m[1]!) : undefined;
  };
  const code = field('Code') ?? STATUS_CODES[answer.status] ?? (answer.status >= 500 ? 'InternalError' : 'UnknownError');
  const requestId = field('RequestId') ?? (answer.headers['x-amz-request-id'] as string | undefined);
  return new S3ResponseError(code, field('Message') ?? `S3 answered ${answer.status} ${code}`, answer.status, requestId);
}

function xmlText(text: string): string {
  return text.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (_, dec: string, hex: string, name: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name]!;
  });
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer takes (what the SDK's @smithy/hash-node does). */
class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = NodeSha256.#open(secret);
  }

  update(data: Uint8Array | string): void {
    this.#hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = NodeSha256.#open(this.#secret);
  }

  static #open(secret: SourceData | undefined): Hash | Hmac {
    if (secret === undefined) return createHash('sha256');
    if (typeof secret === 'string') return createHmac('sha256', secret);
    return createHmac('sha256', ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret));
  }
}
