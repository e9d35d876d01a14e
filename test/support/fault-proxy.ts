/**
 * A loopback TCP proxy in front of a service (moto) that a test can make unreachable: while
 * "down" it resets every new connection and every open one, as a dead endpoint would, while the
 * service behind it keeps its state. `url` is what the client under test should use.
 *
 *   const proxy = await startFaultProxy(stack.info.moto.url);
 *   proxy.down(); …; proxy.up();
 *   await proxy.close();
 */
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
