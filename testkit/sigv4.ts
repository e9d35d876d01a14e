/**
 * A local stand-in for how Amazon OpenSearch Service authenticates a request: every request's
 * SigV4 signature is recomputed here from the specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) with node:crypto —
 * not with the SDK signer that made it, so a mistake of one is not repeated by the other — and
 * checked against AWS's own published test vectors (test/unit/testkit/sigv4.test.ts).
 * `startSigV4Proxy` puts it in front of the local cluster: requests that verify are forwarded
 * (with the cluster's own credentials, as the service maps an IAM role to a backend role), the
 * rest are refused with 403 as the service would.
 *
 * @example
 * const proxy = await startSigV4Proxy({ target: stack.info.elasticsearch.url, region: 'us-east-1', credentials: [{ accessKeyId, secretAccessKey }] });
 * startLocalPipeline({ stack, indexer: quickIndexer({ env: { ES_NODE: proxy.url, CLUSTER_AUTH: 'iam' } }) });
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface VerifyOptions {
  region: string;
  /** `es` for Amazon OpenSearch Service. */
  service?: string;
  /** The identities that may sign (their secrets are what the signature is checked with). */
  credentials: readonly SigV4Credentials[];
  /** How far `x-amz-date` may be from now (AWS: 5 minutes). */
  maxSkewMs?: number;
  now?: () => number;
}

export interface ReceivedRequest {
  method: string;
  /** The request target as received: raw path and query string. */
  url: string;
  /** Lower-case names; repeated headers joined with ','. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type Verdict = { ok: true; accessKeyId: string } | { ok: false; reason: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Checks one request's signature the way the service does; says why when it does not hold. */
export function verifySigV4(request: ReceivedRequest, o: VerifyOptions): Verdict {
  const match = AUTH.exec(request.headers['authorization'] ?? '');
  if (!match) return { ok: false, reason: 'no SigV4 Authorization header' };
  const [, accessKeyId, day, region, service, signedList, signature] = match as unknown as [string, string, string, string, string, string, string];
  const identity = o.credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!identity) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (region !== o.region || service !== (o.service ?? 'es'))
    return { ok: false, reason: `scope ${region}/${service} is not ${o.region}/${o.service ?? 'es'}` };
  const amzDate = request.headers['x-amz-date'] ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined || amzDate.slice(0, 8) !== day) return { ok: false, reason: 'x-amz-date missing, malformed or not the credential scope’s day' };
  if (Math.abs((o.now ?? Date.now)() - signedAt) > (o.maxSkewMs ?? 5 * 60_000)) return { ok: false, reason: 'signature expired (x-amz-date too far from now)' };
  const signed = signedList.split(';');
  for (const required of ['host', 'x-amz-date', ...(identity.sessionToken ? ['x-amz-security-token'] : [])]) {
    if (!signed.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  if (identity.sessionToken && request.headers['x-amz-security-token'] !== identity.sessionToken)
    return { ok: false, reason: 'wrong or missing session token' };
  const bodyHash = sha256Hex(request.body);
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== bodyHash) return { ok: false, reason: 'x-amz-content-sha256 is not the body’s hash' };
  const canonical = canonicalRequest(request, signed, bodyHash);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(Buffer.from(canonical))].join('\n');
  const expected = hmac(signingKey(identity.secretAccessKey, day, region, service), stringToSign).toString('hex');
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return { ok: false, reason: 'signature does not match' };
  return { ok: true, accessKeyId };
}

/** The canonical request of the specification (non-S3: the received path is URI-encoded again). */
export function canonicalRequest(request: ReceivedRequest, signedHeaders: readonly string[], payloadHash: string): string {
  const [rawPath = '/', rawQuery = ''] = request.url.split('?', 2) as [string, string?];
  const path = rawPath.split('/').map(uriEncode).join('/') || '/';
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=', 2) as [string, string?];
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = [...signedHeaders]
    .sort()
    .map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  return [request.method, path, query, headers, [...signedHeaders].sort().join(';'), payloadHash].join('\n');
}

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), per the specification. */
function uriEncode(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
}

export interface SigV4Proxy {
  url: string;
  /** Requests forwarded, and the refused ones with why. */
  readonly accepted: number;
  readonly refused: ReadonlyArray<{ method: string; url: string; reason: string }>;
  close(): Promise<void>;
}

export interface SigV4ProxyOptions extends VerifyOptions {
  /** The cluster behind it. */
  target: string;
  /** The cluster's own credentials, sent with every forwarded request (the "backend role"). */
  targetAuth?: { username: string; password: string } | undefined;
}

/** Starts the verifying proxy on a free loopback port; see the module's example. */
export async function startSigV4Proxy(o: SigV4ProxyOptions): Promise<SigV4Proxy> {
  const target = new URL(o.target);
  const refused: Array<{ method: string; url: string; reason: string }> = [];
  let accepted = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
      const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(parts) };
      const verdict = verifySigV4(request, o);
      if (!verdict.ok) {
        refused.push({ method: request.method, url: request.url, reason: verdict.reason });
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: `The request signature we calculated does not match the signature you provided (${verdict.reason})` }));
        return;
      }
      accepted++;
      forward(target, request, o.targetAuth, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get accepted() {
      return accepted;
    },
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function forward(target: URL, request: ReceivedRequest, auth: SigV4ProxyOptions['targetAuth'], res: http.ServerResponse): void {
  const headers: Record<string, string> = { 'content-length': String(request.body.length) };
  if (request.headers['content-type']) headers['content-type'] = request.headers['content-type'];
  if (auth) headers['authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const upstream = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream: ${error.message}`));
  upstream.end(request.body);
}
