import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, TokenKeysUnavailableError, TokenRejectedError } from '../../../../../shared/adapters/auth/jwt-verifier.js';
import { startIssuer, type LocalIssuer } from '../../../../../testkit/http/index.js';

let idp: LocalIssuer;
beforeAll(async () => {
  idp = await startIssuer({ audience: 'joblogs-ui' });
});
afterAll(async () => {
  await idp.close();
});

describe('createJwtVerifier', () => {
  it('returns the claims of a valid token, keys taken from JWT_JWKS_URL without discovery', async () => {
    const verify = createJwtVerifier({ issuer: idp.issuer, audience: ['other', 'joblogs-ui'], jwksUrl: idp.jwksUrl });
    const before = idp.requests.filter((r) => r.includes('openid-configuration')).length;
    await expect(verify(await idp.token({ sub: 'alice', teams: ['vision'] }))).resolves.toMatchObject({ sub: 'alice', teams: ['vision'] });
    expect(idp.requests.filter((r) => r.includes('openid-configuration')).length).toBe(before);
  });

  it('matches the audience like the HTTP API authorizer: aud if present, else client_id', async () => {
    const verify = createJwtVerifier({ issuer: idp.issuer, audience: ['joblogs-ui'], jwksUrl: idp.jwksUrl });
    await expect(verify(await idp.token({ sub: 'alice', client_id: 'joblogs-ui' }, { audience: null }))).resolves.toMatchObject({ sub: 'alice' });
    await expect(verify(await idp.token({ sub: 'alice', client_id: 'other' }, { audience: null }))).rejects.toThrow(/another audience/);
    await expect(verify(await idp.token({ sub: 'alice' }, { audience: null }))).rejects.toThrow(/another audience/);
    // aud wins when both are present.
    await expect(verify(await idp.token({ sub: 'alice', client_id: 'joblogs-ui' }, { audience: 'other' }))).rejects.toThrow(/another audience/);
  });

  it('tolerates 30 s of clock skew, not more', async () => {
    const verify = createJwtVerifier({ issuer: idp.issuer, audience: ['joblogs-ui'], jwksUrl: idp.jwksUrl });
    await expect(verify(await idp.token({ sub: 'alice' }, { expiresInS: -10 }))).resolves.toMatchObject({ sub: 'alice' });
    await expect(verify(await idp.token({ sub: 'alice' }, { expiresInS: -60 }))).rejects.toThrow(TokenRejectedError);
  });

  it('refuses a discovery document that names another issuer (keys unavailable, not a bad token)', async () => {
    const impostor = createServer((_req, res) => res.end(JSON.stringify({ issuer: 'https://evil.example.test', jwks_uri: idp.jwksUrl })));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    try {
      const verify = createJwtVerifier({ issuer, audience: ['joblogs-ui'], jwksUrl: undefined });
      await expect(verify(await idp.token({ sub: 'alice' }, { issuer }))).rejects.toThrow(TokenKeysUnavailableError);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('reports an unreachable key set as unavailable, and tries again on the next call', async () => {
    const verify = createJwtVerifier({ issuer: 'http://127.0.0.1:9', audience: ['joblogs-ui'], jwksUrl: undefined, timeoutMs: 500 });
    const t = await idp.token({ sub: 'alice' }, { issuer: 'http://127.0.0.1:9' });
    await expect(verify(t)).rejects.toThrow(TokenKeysUnavailableError);
    await expect(verify(t)).rejects.toThrow(TokenKeysUnavailableError);
  });
});
