/**
 * A local identity provider: real key pairs (jose), an OpenID discovery document and a JWKS
 * served over HTTP on loopback, and helpers that sign tokens the way an IdP would — plus the bad
 * ones (another key, expired, wrong audience/issuer, `alg: none`). Tests start one on a random
 * port; the local stack's host starts one on a fixed port with its keys kept in a file (tokens
 * survive a restart) and `GET /dev/token?user=…&team=…` for `joblogs dev-token`.
 *
 * @example
 *   const idp = await startIssuer({ audience: 'joblogs-ui' });
 *   const token = await idp.token({ sub: 'alice', teams: ['vision'] });
 *   ...
 *   await idp.close();
 */
import { exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenOptions {
  alg?: 'RS256' | 'ES256';
  /** Seconds from now; negative = already expired. Default 300. */
  expiresInS?: number;
  /** `null`: no `aud` claim at all (Cognito access tokens carry `client_id` instead). */
  audience?: string | null;
  issuer?: string;
  /** Sign with a key the issuer does not publish (same kid): a forged token. */
  forged?: boolean;
}

export interface LocalIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Requests the issuer has served, by path (discovery, JWKS). */
  requests: string[];
  token(claims?: JWTPayload, options?: TokenOptions): Promise<string>;
  /** An unsigned token (`alg: none`) with otherwise valid claims. */
  unsecuredToken(claims?: JWTPayload): string;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
}

export interface IssuerOptions {
  audience: string;
  /** Default: a random free port. */
  port?: number;
  /** Keeps the signing keys in this file (0600), so tokens it signed stay valid across restarts. */
  keyFile?: string;
  /** Serves `GET /dev/token?user=<sub>&team=<team>[&team=…][&ttl=<s>]` → `{ token, expiresAt }` (local stack only). */
  devTokens?: boolean;
}

/** The claims of a dev token: `sub` and the teams claim the stage's functions read (`teams`). */
const DEV_TOKEN = { maxTtlS: 12 * 3600, defaultTtlS: 3600, name: /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/ } as const;

export async function startIssuer(o: IssuerOptions): Promise<LocalIssuer> {
  const { keys, publicJwks } = await signingKeys(o.keyFile);
  const forgers: SigningKey[] = [];
  for (const key of keys) forgers.push({ kid: key.kid, alg: key.alg, privateKey: (await generateKeyPair(key.alg)).privateKey });

  const requests: string[] = [];
  let issuer = '';
  let local: LocalIssuer;
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const path = (req.url ?? '').split('?')[0];
    if (path === '/.well-known/openid-configuration') return sendJson(res, 200, { issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
    if (path === '/.well-known/jwks.json') return sendJson(res, 200, { keys: publicJwks });
    if (path === '/dev/token' && o.devTokens) return void devToken(req, res, local);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', resolve);
  });
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  local = {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    audience: o.audience,
    requests,
    async token(claims = {}, t = {}) {
      const alg = t.alg ?? 'RS256';
      const key = (t.forged ? forgers : keys).find((k) => k.alg === alg)!;
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(t.issuer ?? issuer)
        .setIssuedAt(now - 5)
        .setExpirationTime(now + (t.expiresInS ?? 300));
      if (t.audience !== null) jwt.setAudience(t.audience ?? o.audience);
      return jwt.sign(key.privateKey);
    },
    unsecuredToken(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new UnsecuredJWT({ ...claims })
        .setIssuer(issuer)
        .setAudience(o.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .encode();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return local;
}

/** An RS256 and an ES256 key: new ones, or those kept in `keyFile` (written on first use). */
async function signingKeys(keyFile: string | undefined): Promise<{ keys: SigningKey[]; publicJwks: unknown[] }> {
  const stored =
    keyFile && existsSync(keyFile)
      ? (JSON.parse(readFileSync(keyFile, 'utf8')) as Array<{ alg: SigningKey['alg']; kid: string; privateJwk: JWK; publicJwk: JWK }>)
      : undefined;
  const pairs = stored ?? [];
  if (!stored) {
    for (const alg of ['RS256', 'ES256'] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      pairs.push({ alg, kid: `local-${alg.toLowerCase()}`, privateJwk: await exportJWK(pair.privateKey), publicJwk: await exportJWK(pair.publicKey) });
    }
    if (keyFile) writeFileSync(keyFile, JSON.stringify(pairs), { mode: 0o600 });
  }
  const keys: SigningKey[] = [];
  for (const p of pairs) keys.push({ kid: p.kid, alg: p.alg, privateKey: (await importJWK(p.privateJwk, p.alg)) as CryptoKey });
  return { keys, publicJwks: pairs.map((p) => ({ ...p.publicJwk, kid: p.kid, alg: p.alg, use: 'sig' })) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** `GET /dev/token`: a token for any user and teams — which is why only the local stack serves it, on loopback. */
async function devToken(req: IncomingMessage, res: ServerResponse, issuer: LocalIssuer): Promise<void> {
  const params = new URL(req.url ?? '', 'http://local').searchParams;
  const user = params.get('user') ?? '';
  const teams = params.getAll('team');
  const ttl = Number(params.get('ttl') ?? DEV_TOKEN.defaultTtlS);
  const bad = [user, ...teams].find((name) => !DEV_TOKEN.name.test(name));
  if (bad !== undefined)
    return sendJson(res, 400, {
      error: { code: 'INVALID_PARAMETER', message: `user and team must match ${DEV_TOKEN.name.source}, got ${JSON.stringify(bad.slice(0, 80))}` },
    });
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > DEV_TOKEN.maxTtlS)
    return sendJson(res, 400, { error: { code: 'INVALID_PARAMETER', message: `ttl must be 1–${DEV_TOKEN.maxTtlS} seconds` } });
  const token = await issuer.token({ sub: user, teams }, { expiresInS: ttl });
  sendJson(res, 200, { token, expiresAt: new Date(Date.now() + ttl * 1000).toISOString(), user, teams, issuer: issuer.issuer, audience: issuer.audience });
}
