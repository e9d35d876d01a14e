/**
 * A local identity provider for tests: real key pairs (jose), an OpenID discovery document and
 * a JWKS served over HTTP on loopback, and helpers that sign tokens the way an IdP would — plus
 * the bad ones (another key, expired, wrong audience/issuer, `alg: none`).
 *
 * @example
 *   const idp = await startIssuer({ audience: 'joblogs-ui' });
 *   const token = await idp.token({ sub: 'alice', teams: ['vision'] });
 *   ...
 *   await idp.close();
 */
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createServer, type Server } from 'node:http';
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

export async function startIssuer(o: { audience: string }): Promise<LocalIssuer> {
  const keys: SigningKey[] = [];
  const forgers: SigningKey[] = [];
  const publicJwks: unknown[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    const kid = `test-${alg.toLowerCase()}`;
    keys.push({ kid, alg, privateKey: pair.privateKey });
    publicJwks.push({ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' });
    forgers.push({ kid, alg, privateKey: (await generateKeyPair(alg)).privateKey });
  }

  const requests: string[] = [];
  let issuer = '';
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const send = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') return send({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
    if (req.url === '/.well-known/jwks.json') return send({ keys: publicJwks });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
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
      return new UnsecuredJWT({ ...claims }).setIssuer(issuer).setAudience(o.audience).setIssuedAt(now).setExpirationTime(now + 300).encode();
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
