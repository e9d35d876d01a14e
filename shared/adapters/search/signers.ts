import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { authorizationHeader, type EsAuth } from './credentials.js';

/** A request about to be sent, as the signer sees it. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Lower-case names; what the signer returns is added to them. */
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** Adds what proves who is asking: an `Authorization` header, or a SigV4 signature. */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** Basic or API key credentials (or none: a local cluster without security). */
export function secretSigner(auth: EsAuth | undefined): RequestSigner {
  const headers: Record<string, string> = auth ? { authorization: authorizationHeader(auth) } : {};
  return async () => headers;
}

export interface SigV4Options {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  /** `es` for Amazon OpenSearch Service domains (and their Dashboards). */
  service?: string;
  now?: () => Date;
}

/**
 * SigV4 with the AWS SDK's own signer, as Amazon OpenSearch Service checks it
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/request-signing.html): the
 * host, the date, the body's SHA-256 (`x-amz-content-sha256`, `applyChecksum`: the service wants
 * it on requests with a body) and the session token of a role's credentials are signed.
 */
export function sigV4Signer(o: SigV4Options): RequestSigner {
  const signer = new SignatureV4({
    service: o.service ?? 'es',
    region: o.region,
    credentials: o.credentials,
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: true,
  });
  return async (request) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of request.url.searchParams) {
      const had = query[name];
      query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
    }
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        ...(request.url.port ? { port: Number(request.url.port) } : {}),
        path: request.url.pathname,
        query,
        headers: { ...request.headers, host: request.url.host },
        ...(request.body ? { body: request.body } : {}),
      },
      o.now ? { signingDate: o.now() } : {},
    );
    // `host` is set by the HTTP client from the URL (the same value that was signed).
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}

/** The `Checksum` SignatureV4 hashes with: node:crypto's SHA-256 (an HMAC when given a key). */
class NodeSha256 implements Checksum {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not resettable');
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
