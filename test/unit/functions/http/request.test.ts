import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseJobRequest as parseLogsRequest } from '../../../../functions/http/request.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function event(
  o: { method?: string; jobId?: string; authorization?: string; headers?: Record<string, string>; rawPath?: string } = {},
): APIGatewayProxyEventV2 {
  const jobId = o.jobId ?? 'job-1';
  return {
    version: '2.0',
    routeKey: 'GET /jobs/{jobId}/logs',
    rawPath: o.rawPath ?? `/jobs/${encodeURIComponent(jobId)}/logs`,
    rawQueryString: '',
    headers: {
      host: 'api.example.test',
      ...(o.authorization === undefined ? { authorization: `Bearer ${TOKEN}` } : o.authorization ? { authorization: o.authorization } : {}),
      ...o.headers,
    },
    pathParameters: { jobId },
    requestContext: { http: { method: o.method ?? 'GET' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
  };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (error) {
    return `${(error as { statusCode: number }).statusCode} ${(error as { code: string }).code}`;
  }
};

describe('parseLogsRequest', () => {
  it('takes the job id and the bearer token of a GET', () => {
    expect(parseLogsRequest(event())).toEqual({ jobId: 'job-1', token: TOKEN });
    expect(parseLogsRequest(event({ authorization: `bearer   ${TOKEN}` })).token).toBe(TOKEN);
  });

  it('refuses other methods with 405', () => {
    expect(codeOf(() => parseLogsRequest(event({ method: 'DELETE' })))).toBe('405 METHOD_NOT_ALLOWED');
  });

  it('asks for a token before it says anything about the job id', () => {
    expect(codeOf(() => parseLogsRequest(event({ authorization: '', jobId: '../x' })))).toBe('401 UNAUTHORIZED');
    expect(codeOf(() => parseLogsRequest(event({ authorization: 'Basic abc' })))).toBe('401 UNAUTHORIZED');
    expect(codeOf(() => parseLogsRequest(event({ authorization: 'Bearer not.a token' })))).toBe('401 UNAUTHORIZED');
  });

  it('names the token problem in the challenge only when a token was sent', () => {
    const challenge = (authorization: string) => {
      try {
        parseLogsRequest(event({ authorization }));
      } catch (error) {
        return (error as { headers: Record<string, string> }).headers['WWW-Authenticate'];
      }
    };
    expect(challenge('')).toBe('Bearer realm="joblogs"');
    expect(challenge('Bearer abc')).toBe('Bearer realm="joblogs", error="invalid_token", error_description="The access token is malformed"');
  });

  it.each(['..', '.', '../etc', 'a/b', '-lead', 'j\u00f6b', 'job\u0000', 'x'.repeat(129), ''])('refuses job id %j with 400', (jobId) => {
    expect(codeOf(() => parseLogsRequest(event({ jobId })))).toBe('400 INVALID_JOB_ID');
  });

  it('refuses paths over 1 KiB (414) and headers over the gateway’s 10 KiB (431)', () => {
    expect(codeOf(() => parseLogsRequest(event({ rawPath: `/jobs/${'a'.repeat(4100)}/logs` })))).toBe('414 URI_TOO_LONG');
    expect(codeOf(() => parseLogsRequest(event({ headers: { cookie: 'c'.repeat(10_300) } })))).toBe('431 HEADERS_TOO_LARGE');
  });
});
