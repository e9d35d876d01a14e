import { describe, expect, it } from 'vitest';
import { EsCredentialsError, parseEsCredentials } from '../../../../../shared/adapters/search/credentials.js';

const SECRET = 'hunter2-Zq9v!k3y';

/** Every substring of the secret at least `n` characters long. */
const fragments = (secret: string, n = 4) => Array.from({ length: secret.length - n + 1 }, (_, i) => secret.slice(i, i + n));

describe('parseEsCredentials', () => {
  it('reads username/password and API key secrets', () => {
    expect(parseEsCredentials(JSON.stringify({ username: 'w', password: SECRET }))).toEqual({ username: 'w', password: SECRET });
    expect(parseEsCredentials({ apiKey: SECRET })).toEqual({ apiKey: SECRET });
  });

  it.each([
    ['a truncated JSON secret', `{"username":"w","password":"${SECRET}`],
    ['a secret that is not JSON at all', `password=${SECRET}`],
    ['JSON of the wrong shape', JSON.stringify({ user: 'w', pass: SECRET })],
  ])('refuses %s without quoting any of it', (_what, value) => {
    let error: unknown;
    try {
      parseEsCredentials(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EsCredentialsError);
    const told = `${(error as Error).message} ${JSON.stringify((error as Error).cause ?? null)} ${(error as Error).stack}`;
    for (const piece of fragments(SECRET)) expect(told).not.toContain(piece);
  });
});
