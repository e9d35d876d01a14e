/**
 * The log viewer's pages beside a local API (what no API route takes): the bundle, a page per job
 * at `/view/<job>?user=&team=` that embeds <joblogs-viewer> (viewer/dev/host-page.ts), and
 * `/dev/token`, the local issuer's dev tokens on the page's own origin (the page asks it for the
 * token of that user and team, as a platform page asks its own session; `&session=held` puts the
 * token into the page instead, as an app whose session already holds one). Extra pages (a
 * benchmark's baselines) are served as given, on the same origin as the API.
 *
 * @example
 * const pages = viewerPages({ issuerUrl: idp.issuer, apiUrl: () => api.url });
 * const api = await startLocalApi({ stack, issuer: idp.issuer, fallback: pages });   // idp: startIssuer({ devTokens: true })
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUNDLE_PATH } from '../../viewer/build.js';
import { serveViewer } from '../../viewer/dev/reference-server.js';

export interface ViewerPagesOptions {
  /** The local issuer (started with `devTokens: true`). */
  issuerUrl: string;
  /** The API's base URL (known once it listens). */
  apiUrl: () => string;
  /** The page's user when the URL names none. */
  user?: { user: string; team: string };
  /** path → HTML */
  pages?: Map<string, string>;
}

/** An HTTP API `fallback` serving the viewer's pages; see the module's example. */
export function viewerPages(o: ViewerPagesOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const who = o.user ?? { user: 'alice', team: 'ml' };
  return async (req, res) => {
    const url = new URL(req.url ?? '/', o.apiUrl());
    if (url.pathname === '/dev/token') {
      const answer = await fetch(`${o.issuerUrl}${url.pathname}${url.search}`);
      res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(await answer.text());
      return true;
    }
    const page = o.pages?.get(url.pathname);
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
      return true;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return true;
    }
    const user = new URLSearchParams({ user: url.searchParams.get('user') ?? who.user, team: url.searchParams.get('team') ?? who.team });
    const tokenUrl = `/dev/token?${user}`;
    // `?session=held`: the page holds its token already, as an app's session would.
    const heldToken = url.searchParams.get('session') === 'held' ? await devToken(o.issuerUrl, tokenUrl) : undefined;
    return serveViewer(url, res, { bundlePath: BUNDLE_PATH, apiBase: o.apiUrl(), tokenUrl, ...(heldToken !== undefined ? { heldToken } : {}) });
  };
}

/** The local issuer's dev token for a `/dev/token?user=&team=` path. */
async function devToken(issuerUrl: string, path: string): Promise<string> {
  const answer = await fetch(`${issuerUrl}${path}`);
  if (!answer.ok) throw new Error(`dev token: HTTP ${answer.status}`);
  return ((await answer.json()) as { token: string }).token;
}
