/**
 * A local stand-in for an API Gateway HTTP API in front of a Lambda handler: a real HTTP server
 * on loopback that turns each request into a payload-format-2.0 event
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html),
 * calls the handler, and writes its structured result back. Tests talk to it with `fetch`.
 *
 * Like the gateway: a request no route matches gets 404 `{"message":"Not Found"}` without the
 * handler; header names are lowercased, repeated headers joined with commas; path parameters
 * are URL-decoded. Unlike it: no authorizer and no gateway CORS — the handler's own checks are
 * what is under test.
 *
 * @example
 *   const api = await startHttpApi(handler, ['ANY /jobs/{jobId}/logs']);
 *   await fetch(`${api.url}/jobs/job-1/logs`, { headers: { authorization: `Bearer ${token}` } });
 *   await api.close();
 *
 * @example
 *   // several functions behind one API, on a fixed port, static files for what no route takes
 *   await startHttpApi({ 'GET /jobs/{jobId}/logs': signer, 'GET /jobs/{jobId}': logsApi }, { port: 8788, fallback: serveFiles });
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaContext } from '../lambda.js';

export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string | object | undefined>;

export interface HttpApi {
  url: string;
  close(): Promise<void>;
}

export interface HttpApiOptions {
  /** Default: a random free port on loopback. */
  port?: number;
  /** Answers what no route takes (true = answered), e.g. static files; otherwise the gateway's 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** The emulated invocation's time limit (the function's timeout). Default 30 s. */
  timeoutMs?: number;
  /** Told the status of every answer a route's handler gave (after it is written), and when its request arrived (`Date.now()`). */
  onAnswer?: (answer: { routeKey: string; status: number; arrivedAt: number }) => void;
}

interface Route {
  routeKey: string;
  method: string;
  pattern: RegExp;
  names: string[];
  handler: HttpApiHandler;
}

/** `routes`: route keys as in the gateway, `GET /jobs/{jobId}/logs` or `ANY /…`, each to its handler (or all to one). */
export async function startHttpApi(handler: HttpApiHandler, routes: string[], o?: HttpApiOptions): Promise<HttpApi>;
export async function startHttpApi(routes: Record<string, HttpApiHandler>, o?: HttpApiOptions): Promise<HttpApi>;
export async function startHttpApi(
  first: HttpApiHandler | Record<string, HttpApiHandler>,
  second?: string[] | HttpApiOptions,
  third?: HttpApiOptions,
): Promise<HttpApi> {
  const routes = typeof first === 'function' ? Object.fromEntries((second as string[]).map((key) => [key, first])) : first;
  const o = (typeof first === 'function' ? third : (second as HttpApiOptions | undefined)) ?? {};
  const table = Object.entries(routes).map(([key, handler]) => compileRoute(key, handler));
  const server: Server = createServer(async (req, res) => {
    const arrivedAt = Date.now();
    try {
      const body = await readBody(req);
      const rawUrl = req.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
      const rawQueryString = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
      const method = req.method ?? 'GET';
      const match = matchRoute(table, method, rawPath);
      if (!match) {
        if (o.fallback && (await o.fallback(req, res))) return;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const event = toEvent(req, { method, rawPath, rawQueryString, body, routeKey: match.route.routeKey, pathParameters: match.params });
      const context = lambdaContext({ functionName: 'joblogs-local-http', memoryMb: 256, remainingMs: o.timeoutMs ?? 30_000 });
      const result = await match.route.handler(event, context);
      const status = writeResult(res, result);
      o.onAnswer?.({ routeKey: match.route.routeKey, status, arrivedAt });
    } catch (error) {
      // What the gateway does when the integration fails.
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
      console.error('[http-api] handler failed:', error);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function compileRoute(routeKey: string, handler: HttpApiHandler): Route {
  const [method, path] = routeKey.split(' ') as [string, string];
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { routeKey, method, pattern: new RegExp(`^${source}$`), names, handler };
}

function matchRoute(table: Route[], method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of table) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = safeDecode(m[i + 1]!)));
    return { route, params };
  }
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function toEvent(
  req: IncomingMessage,
  r: { method: string; rawPath: string; rawQueryString: string; body: Buffer; routeKey: string; pathParameters: Record<string, string> },
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const cookies = headers['cookie']?.split(/;\s*/);
  delete headers['cookie'];
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(r.rawQueryString)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: r.routeKey,
    rawPath: r.rawPath,
    rawQueryString: r.rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(r.rawQueryString ? { queryStringParameters: query } : {}),
    ...(Object.keys(r.pathParameters).length > 0 ? { pathParameters: r.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers['host'] ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: r.method,
        path: r.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: r.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(r.body.length > 0 ? { body: r.body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

/** Payload 2.0 responses: a structured result, or any other value = 200 JSON of that value. Returns the status written. */
function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | object | undefined): number {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result ? (result as APIGatewayProxyStructuredResultV2) : undefined;
  if (!structured) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    return 200;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = structured.body === undefined ? '' : structured.isBase64Encoded ? Buffer.from(structured.body, 'base64') : structured.body;
  res.writeHead(structured.statusCode ?? 200, headers).end(body);
  return structured.statusCode ?? 200;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
