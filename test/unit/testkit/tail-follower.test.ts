import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TailFollower } from '../../../testkit/load/follower.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A logs API whose tail accepts only `valid` tokens: two lines per answer, complete after `pages` answers. */
async function tailApi(o: { valid: (token: string) => boolean; pages: number }): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  let answered = 0;
  server = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    seen.push(token);
    if (!o.valid(token)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'token expired' }));
      return;
    }
    answered++;
    const complete = answered >= o.pages;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ lines: [{}, {}], next: `c${answered}`, status: complete ? 'complete' : 'running', hasAfter: false }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

describe('TailFollower (a person following a job during a load run)', () => {
  it('asks for a fresh token when the API refuses one (401) and follows on, counting no failed request', async () => {
    let issued = 0;
    const api = await tailApi({ valid: (token) => token !== 'token-1', pages: 3 });
    const follower = new TailFollower({ apiUrl: api.url, jobId: 'job-1', token: async () => `token-${++issued}` });
    follower.start();
    await follower.finish(10_000);
    expect(follower).toMatchObject({ lines: 6, errors: 0, tokensRenewed: 1 });
    expect(api.seen).toEqual(['token-1', 'token-2', 'token-2', 'token-2']);
  });

  it('counts a refusal that a fresh token does not cure as a failed request', async () => {
    let refusals = 2;
    const api = await tailApi({ valid: () => refusals-- <= 0, pages: 1 });
    const follower = new TailFollower({ apiUrl: api.url, jobId: 'job-1', token: async () => 'same' });
    follower.start();
    await follower.finish(10_000);
    expect(follower).toMatchObject({ lines: 2, errors: 1, tokensRenewed: 1 });
    expect(follower.lastError).toMatch(/HTTP 401/);
  });

  it('asks the issuer again after a token request failed, instead of failing every request after it', async () => {
    let requests = 0;
    const api = await tailApi({ valid: (token) => token === 'good', pages: 1 });
    const follower = new TailFollower({
      apiUrl: api.url,
      jobId: 'job-1',
      token: async () => {
        if (++requests === 1) throw new Error('issuer unavailable');
        return 'good';
      },
    });
    follower.start();
    await follower.finish(10_000);
    expect(follower).toMatchObject({ lines: 2, errors: 1, tokensRenewed: 0 });
    expect(follower.lastError).toMatch(/issuer unavailable/);
    expect(api.seen).toEqual(['good']);
  });
});
