/**
 * Two loopback fault injectors. `startFaultProxy`: a TCP proxy in front of a service (moto) that a test can make unreachable: while
 * "down" it resets every new connection and every open one, as a dead endpoint would, while the
 * service behind it keeps its state. `url` is what the client under test should use.
 *
 * @example
 *   const proxy = await startFaultProxy(stack.info.moto.url);
 *   proxy.down(); …; proxy.up();
 *   await proxy.close();
 *
 * `startHttpFaultProxy`: an HTTP proxy in front of Elasticsearch that refuses, delays, cuts,
 * answers 429/503 or fails some items of a `_bulk`, request by request (see below).
 */
import http from 'node:http';
import net from 'node:net';

export interface FaultProxy {
  url: string;
  /** Connections made through the proxy so far (accepted or reset). */
  readonly connections: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const open = new Set<net.Socket>();
  let isDown = false;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    open.add(client).add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    down() {
      isDown = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    up() {
      isDown = false;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------------ HTTP-level faults

/** What the HTTP fault proxy does with one request. */
export type HttpFault =
  /** Reset the connection before anything is forwarded (a node that refuses). */
  | { kind: 'refuse' }
  /** Forward after `ms` (a node under GC or load; with `ms` above the client timeout, a timeout). */
  | { kind: 'delay'; ms: number }
  /** Forward, let the upstream do the work, then reset the client before it sees the answer. */
  | { kind: 'cut' }
  /** Answer `status` without forwarding (429 rejected execution, 503 unavailable). */
  | { kind: 'status'; status: number }
  /**
   * `_bulk` only: withhold every `every`-th item (of this request) from the upstream and report it
   * as `status` in the merged response, as a node under pressure rejects some items of a batch.
   */
  | { kind: 'fail-items'; every: number; status: number };

export interface HttpRequestInfo {
  method: string;
  path: string;
  /** Lower-cased, as Node reads them (e.g. `x-amz-target` names an SQS JSON action). */
  headers: http.IncomingHttpHeaders;
  /** 0, 1, 2… over the requests seen since the current plan was set. */
  n: number;
  /** The request's body as it arrived. */
  body: Buffer;
}

export interface HttpFaultProxy {
  url: string;
  /** Requests seen so far, and how many of them got a fault. */
  readonly requests: number;
  readonly faulted: number;
  /** Bulk items the proxy answered with an injected status instead of forwarding. */
  readonly failedItems: number;
  /** Decides the fault (or none) of every request from now on. */
  plan(decide: (request: HttpRequestInfo) => HttpFault | undefined): void;
  /** No more faults. */
  clear(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of Elasticsearch that injects faults per request: refuse, delay,
 * cut, answer a status, or make a `_bulk` partially fail. The upstream's state is real: what the
 * proxy forwards is really indexed, what it withholds really is not.
 *
 *   const proxy = await startHttpFaultProxy(stack.info.elasticsearch.url);
 *   proxy.plan(({ path, n }) => (path.startsWith('/_bulk') && n % 2 === 0 ? { kind: 'status', status: 429 } : undefined));
 */
export async function startHttpFaultProxy(targetUrl: string): Promise<HttpFaultProxy> {
  const target = new URL(targetUrl);
  let decide: (request: HttpRequestInfo) => HttpFault | undefined = () => undefined;
  let requests = 0;
  let sincePlan = 0;
  let faulted = 0;
  let failedItems = 0;
  const sockets = new Set<net.Socket>();
  const agent = new http.Agent({ keepAlive: true });

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      // The proxy may rewrite responses: ask for them uncompressed.
      delete headers['accept-encoding'];
      const upstream = http.request({ agent, host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  const reply = (res: http.ServerResponse, status: number, headers: http.IncomingHttpHeaders, body: Buffer) => {
    const { 'content-length': length, 'transfer-encoding': _t, connection: _c, ...rest } = headers;
    // A HEAD answer has no body but says how long the GET's would be.
    const head = res.req.method === 'HEAD' && length !== undefined;
    res.writeHead(status, { ...rest, 'content-length': head ? length : String(body.length) });
    res.end(head ? undefined : body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    requests++;
    const info = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, n: sincePlan++, body };
    const fault = decide(info);
    if (fault) faulted++;
    if (fault?.kind === 'refuse') return void req.socket.resetAndDestroy();
    if (fault?.kind === 'status') {
      return reply(
        res,
        fault.status,
        { 'content-type': 'application/json' },
        Buffer.from(JSON.stringify({ error: { type: 'injected_fault', reason: `fault proxy answered ${fault.status}` }, status: fault.status })),
      );
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'fail-items' && info.path.split('?')[0]!.endsWith('/_bulk')) {
      const answer = await partiallyFailBulk(body, fault, (kept) => forward(req, kept));
      failedItems += answer.failed;
      return reply(res, answer.status, answer.headers, answer.body);
    }
    const answer = await forward(req, body);
    if (fault?.kind === 'cut') return void req.socket.resetAndDestroy();
    reply(res, answer.status, answer.headers, answer.body);
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      handle(req, res, Buffer.concat(parts)).catch(() => req.socket.resetAndDestroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get faulted() {
      return faulted;
    },
    get failedItems() {
      return failedItems;
    },
    plan(next) {
      decide = next;
      sincePlan = 0;
    },
    clear() {
      decide = () => undefined;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards the kept items of an NDJSON `_bulk` body and merges injected item failures into the answer. */
async function partiallyFailBulk(
  body: Buffer,
  fault: Extract<HttpFault, { kind: 'fail-items' }>,
  send: (kept: Buffer) => Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; failed: number }> {
  const lines = body
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  const items = Array.from({ length: lines.length / 2 }, (_, i) => ({ action: lines[2 * i]!, source: lines[2 * i + 1]! }));
  const withheld = new Set(items.map((_, i) => i).filter((i) => i % fault.every === 0));
  const kept = items.filter((_, i) => !withheld.has(i));
  let upstreamItems: unknown[] = [];
  let headers: http.IncomingHttpHeaders = { 'content-type': 'application/json' };
  if (kept.length > 0) {
    const answer = await send(Buffer.from(kept.map((i) => `${i.action}\n${i.source}\n`).join('')));
    if (answer.status !== 200) return { ...answer, failed: 0 };
    upstreamItems = (JSON.parse(answer.body.toString('utf8')) as { items?: unknown[] }).items ?? [];
    headers = answer.headers;
  }
  const injected = (action: string) => {
    const op = Object.keys(JSON.parse(action) as object)[0] ?? 'create';
    return {
      [op]: {
        status: fault.status,
        error: { type: fault.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception', reason: 'injected by the fault proxy' },
      },
    };
  };
  let next = 0;
  const merged = items.map((item, i) => (withheld.has(i) ? injected(item.action) : upstreamItems[next++]));
  return { status: 200, headers, body: Buffer.from(JSON.stringify({ errors: true, items: merged })), failed: withheld.size };
}
