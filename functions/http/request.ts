import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isValidJobId } from '../../shared/core/contract/chunk-key.js';
import { HeadersTooLargeError, InvalidJobIdError, MethodNotAllowedError, RouteNotFoundError, UnauthorizedError, UriTooLongError } from './errors.js';

/**
 * API Gateway HTTP APIs refuse a request line + headers above 10 240 bytes
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html); the same
 * bounds here keep a directly invoked or locally served handler from doing more than the gateway.
 */
export const MAX_HEADER_BYTES = 10_240;
/** Path + query: room for the logs API's longest valid request (two cursors' worth, a 256-character `q` percent-encoded, filters). */
export const MAX_PATH_BYTES = 4_096;

/** A JWS in compact serialisation: three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A request about one job: which job, and the caller's (not yet verified) bearer token. */
export interface JobRequest {
  jobId: string;
  token: string;
}

/**
 * Checks an HTTP API (payload 2.0) event for a `GET /jobs/{jobId}…` route (`route` names it in the
 * 404). The token is only taken apart here, not verified. Order: size, method, token, job id — a
 * caller without a token learns nothing about which job ids are valid.
 */
export function parseJobRequest(event: APIGatewayProxyEventV2, route = 'GET /jobs/{jobId}/logs'): JobRequest {
  const path = event.rawPath ?? '';
  if (Buffer.byteLength(path) + Buffer.byteLength(event.rawQueryString ?? '') > MAX_PATH_BYTES) {
    throw new UriTooLongError(`The request path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (headerBytes(event.headers) > MAX_HEADER_BYTES) {
    throw new HeadersTooLargeError(`The request headers are larger than ${MAX_HEADER_BYTES} bytes`);
  }
  const method = event.requestContext?.http?.method;
  if (method !== 'GET') throw new MethodNotAllowedError(`${method ?? 'This method'} is not allowed here; use GET`);
  const rawJobId = event.pathParameters?.['jobId'];
  if (rawJobId === undefined) throw new RouteNotFoundError(`No such route; use ${route}`);

  const token = bearerToken(event.headers?.['authorization']);
  if (!isValidJobId(rawJobId)) {
    throw new InvalidJobIdError('The job id must be 1-128 characters of A-Z, a-z, 0-9, "_", "." and "-", start with a letter or digit, and not be only dots');
  }
  return { jobId: rawJobId, token };
}

function bearerToken(header: string | undefined): string {
  if (!header) throw new UnauthorizedError('An access token is required (Authorization: Bearer <token>)', { tokenSent: false });
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('The Authorization header must use the Bearer scheme', { tokenSent: false });
  const token = match[1]!;
  if (!COMPACT_JWS.test(token)) throw new UnauthorizedError('The access token is malformed', { tokenSent: true });
  return token;
}

function headerBytes(headers: Record<string, string | undefined> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value ?? '') + 4;
  return bytes;
}
