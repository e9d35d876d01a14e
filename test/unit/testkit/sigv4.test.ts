/**
 * The verifier the SigV4 tests rely on is itself checked against AWS's published signature test
 * suite (aws-sig-v4-test-suite: get-vanilla, get-vanilla-query-order-key-case, post-x-www-form-
 * urlencoded), so "the proxy accepted it" means "AWS would have".
 */
import { describe, expect, it } from 'vitest';
import { verifySigV4, type ReceivedRequest } from '../../../testkit/sigv4.js';

const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = Date.UTC(2015, 7, 30, 12, 36, 0);
const options = { region: 'us-east-1', service: 'service', credentials: [SUITE], now: () => AT };

function suiteRequest(o: {
  method?: string;
  url: string;
  signature: string;
  signed?: string;
  headers?: Record<string, string>;
  body?: string;
}): ReceivedRequest {
  const signed = o.signed ?? 'host;x-amz-date';
  return {
    method: o.method ?? 'GET',
    url: o.url,
    headers: {
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      ...o.headers,
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signed}, Signature=${o.signature}`,
    },
    body: Buffer.from(o.body ?? ''),
  };
}

describe('verifySigV4 against the AWS SigV4 test suite', () => {
  it('accepts get-vanilla', () => {
    expect(verifySigV4(suiteRequest({ url: '/', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' }), options)).toEqual({
      ok: true,
      accessKeyId: 'AKIDEXAMPLE',
    });
  });

  it('accepts get-vanilla-query-order-key-case (parameters sorted by name)', () => {
    const request = suiteRequest({ url: '/?Param2=value2&Param1=value1', signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' });
    expect(verifySigV4(request, options).ok).toBe(true);
  });

  it('accepts post-x-www-form-urlencoded (a signed content type and a body)', () => {
    const request = suiteRequest({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
      signed: 'content-type;host;x-amz-date',
      signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    });
    expect(verifySigV4(request, options).ok).toBe(true);
  });

  it.each([
    ['a changed body', { body: 'Param1=value2' }, 'signature does not match'],
    ['a changed path', { url: '/other' }, 'signature does not match'],
    ['another secret', { secret: 'not-the-secret' }, 'signature does not match'],
    ['a day old signature', { now: AT + 86_400_000 }, 'expired'],
  ])('refuses %s', (_what, change: { body?: string; url?: string; secret?: string; now?: number }, reason) => {
    const request = suiteRequest({
      method: 'POST',
      url: change.url ?? '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: change.body ?? 'Param1=value1',
      signed: 'content-type;host;x-amz-date',
      signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    });
    const verdict = verifySigV4(request, {
      ...options,
      credentials: [{ ...SUITE, secretAccessKey: change.secret ?? SUITE.secretAccessKey }],
      now: () => change.now ?? AT,
    });
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });
});
