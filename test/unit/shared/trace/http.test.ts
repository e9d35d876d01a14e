import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEcsLogger } from '../../../../shared/logging/index.js';
import { currentTrace, traceRequests, tracedFetch, tracedListener } from '../../../../shared/trace/index.js';
import { gate, jsonLines, PARENT, TRACE, TRACEPARENT } from './support.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('traceRequests (connect-style middleware)', () => {
  it("serves a request in a child span of the caller's traceparent and echoes x-request-id", async () => {
    const middleware = traceRequests();
    const url = await listen((req, res) => middleware(req, res, () => res.end(JSON.stringify(currentTrace()))));
    const response = await fetch(url, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'legacy-7' } });
    expect(response.headers.get('x-request-id')).toBe('legacy-7');
    const served = (await response.json()) as { spanId: string };
    expect(served).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, requestId: 'legacy-7' });
    expect(response.headers.get('traceresponse')).toBe(`00-${TRACE}-${served.spanId}-01`);
  });

  it('starts a new trace for a malformed traceparent and sends no x-request-id it was not given', async () => {
    const middleware = traceRequests();
    const url = await listen((req, res) => middleware(req, res, () => res.end(JSON.stringify(currentTrace()))));
    const response = await fetch(url, { headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` } });
    expect(response.headers.has('x-request-id')).toBe(false);
    const trace = (await response.json()) as { traceId: string; parentSpanId?: string };
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.parentSpanId).toBeUndefined();
  });
});

describe('tracedListener with the ECS logger and tracedFetch', () => {
  it("logs each of two interleaved requests, and the worker each calls, with that request's trace only", async () => {
    const logs = jsonLines();
    const logger = createEcsLogger({ service: 'test', destination: logs.stream });
    const firstArrived = gate();
    const bothArrived = gate();
    let arrived = 0;
    const worker = await listen(
      tracedListener(async (req, res) => {
        logger.info({ step: 'worker' }, `worker ${req.url}`);
        if (++arrived === 1) firstArrived.open();
        else bothArrived.open();
        await bothArrived.opened; // both requests are inside the worker at once
        logger.info({ step: 'worker done' }, `worker done ${req.url}`);
        res.end();
      }),
    );
    const outbound = tracedFetch();
    const api = await listen(
      tracedListener(async (req, res) => {
        logger.info({ step: 'api' }, `api ${req.url}`);
        await (await outbound(`${worker}${req.url}`)).arrayBuffer();
        logger.info({ step: 'api done' }, `api done ${req.url}`);
        res.end();
      }),
    );

    const one = fetch(`${api}/one`, { headers: { traceparent: TRACEPARENT } });
    await firstArrived.opened;
    const two = fetch(`${api}/two`);
    await Promise.all([one, two].map(async (response) => (await response).arrayBuffer()));

    const byRequest = (path: string) => logs.lines.filter((l) => l['message'].endsWith(path));
    const traceIds = (path: string) => new Set(byRequest(path).map((l) => l['trace.id']));
    expect(byRequest('/one').map((l) => l['message'])).toEqual(['api /one', 'worker /one', 'worker done /one', 'api done /one']);
    expect(byRequest('/two')).toHaveLength(4);
    expect(traceIds('/one')).toEqual(new Set([TRACE]));
    expect(traceIds('/two').size).toBe(1);
    expect(traceIds('/two').has(TRACE)).toBe(false);
    // The worker's span is a different span of the same trace.
    const [apiLine, workerLine] = byRequest('/one');
    expect(workerLine!['span.id']).not.toBe(apiLine!['span.id']);
  });
});
