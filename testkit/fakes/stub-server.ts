import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP server on loopback that answers each request with what `answer` returns: for adapter
 * tests that feed a real client (AWS SDK, the cluster transport) the verbatim responses a service
 * sends, errors included, and see what the client made of them.
 *
 * @example
 * const stub = await startStubServer(() => ({ status: 429, body: '{"error":…}' }));
 * const transport = httpTransport({ node: stub.url, sign: secretSigner(undefined), requestTimeoutMs: 1000 });
 * await stub.close();
 */
export async function startStubServer(answer: (request: StubRequest, n: number) => StubResponse) {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) };
      requests.push(request);
      const out = answer(request, requests.length);
      res.writeHead(out.status, out.headers ?? {});
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
