import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { PermanentError, TransientError } from '../../core/errors.js';

/**
 * Verifies bearer tokens (JWS-signed JWTs) against the identity provider's published keys with
 * jose. It is the second check behind the HTTP API's JWT authorizer: the handler trusts nothing
 * it did not verify itself, and it is what runs when the handler is served without the gateway.
 */
export interface JwtVerifierOptions {
  issuer: string;
  audience: string[];
  /** Unset: discovered like the HTTP API authorizer does, from `<issuer>/.well-known/openid-configuration`. */
  jwksUrl: string | undefined;
  /** Leeway for `exp`/`nbf`/`iat` between our clock and the issuer's. */
  clockToleranceS?: number;
  timeoutMs?: number;
}

/** The token is not acceptable (expired, forged, wrong audience…): the caller must get a new one. */
export class TokenRejectedError extends PermanentError {
  readonly code = 'TOKEN_REJECTED';
}

/** The provider's keys could not be fetched: the token may be fine, try again. */
export class TokenKeysUnavailableError extends TransientError {
  readonly code = 'TOKEN_KEYS_UNAVAILABLE';
}

export type VerifyToken = (token: string) => Promise<JWTPayload & { sub: string }>;

/** Asymmetric algorithms only: `none` and HS* (a public key used as an HMAC secret) are refused. */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];

export function createJwtVerifier(o: JwtVerifierOptions): VerifyToken {
  const timeoutMs = o.timeoutMs ?? 3_000;
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    // Resolved once per container; a failed discovery is retried by the next request.
    if (!keys) {
      keys = resolveJwksUrl(o, timeoutMs).then((url) =>
        createRemoteJWKSet(url, { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }),
      );
      keys.catch(() => (keys = undefined));
    }
    return keys;
  };

  return async (token) => {
    const jwks = await keySet();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: o.issuer,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: o.clockToleranceS ?? 30,
        requiredClaims: ['exp', 'sub'],
      });
      if (!hasAudience(payload, o.audience)) throw new TokenRejectedError('The access token was issued for another audience');
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new TokenRejectedError('The access token has no subject');
      return payload as JWTPayload & { sub: string };
    } catch (error) {
      throw classify(error);
    }
  };
}

/**
 * The HTTP API JWT authorizer's rule, so both layers accept the same tokens: `aud` must name one
 * of the audiences; only a token without `aud` is matched on `client_id` (Cognito access tokens)
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html).
 */
export function hasAudience(payload: JWTPayload, audiences: readonly string[]): boolean {
  if (payload.aud !== undefined) {
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return aud.some((a) => audiences.includes(a));
  }
  const clientId = payload['client_id'];
  return typeof clientId === 'string' && audiences.includes(clientId);
}

function classify(error: unknown): Error {
  if (error instanceof TokenRejectedError) return error;
  const reject = (message: string) => new TokenRejectedError(message, { cause: error });
  if (error instanceof errors.JWTExpired) return reject('The access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return reject('The access token was issued for another audience');
    if (error.claim === 'iss') return reject('The access token was issued by another issuer');
    if (error.claim === 'nbf') return reject('The access token is not valid yet');
    return reject(`The access token's ${error.claim} claim is missing or invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return reject('The access token is signed with an algorithm this API does not accept');
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return reject('The access token signature could not be verified');
  }
  // Timeouts, a JWKS that is not one, a non-200 answer (plain JOSEError) or a failed fetch: the provider's side.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC') {
    return new TokenKeysUnavailableError(`Could not fetch the identity provider's signing keys: ${(error as Error).message}`, { cause: error });
  }
  return reject('The access token is invalid');
}

/**
 * OpenID Connect Discovery 1.0 §4: the document lives under the issuer, and its `issuer` must
 * equal the one we trust (https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation).
 */
async function resolveJwksUrl(o: JwtVerifierOptions, timeoutMs: number): Promise<URL> {
  if (o.jwksUrl) return new URL(o.jwksUrl);
  const discovery = `${o.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const fail = (why: string, cause?: unknown) => new TokenKeysUnavailableError(`OpenID discovery at ${discovery} failed: ${why}`, { cause });
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await fetch(discovery, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!response.ok) throw fail(`HTTP ${response.status}`);
    document = (await response.json()) as typeof document;
  } catch (error) {
    throw error instanceof TokenKeysUnavailableError ? error : fail((error as Error).message, error);
  }
  if (document.issuer !== o.issuer) throw fail(`it names issuer ${JSON.stringify(document.issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw fail('it has no jwks_uri');
  const url = new URL(document.jwks_uri);
  if (url.protocol !== 'https:' && new URL(o.issuer).protocol === 'https:') throw fail('its jwks_uri is not https');
  return url;
}
