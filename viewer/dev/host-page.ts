/**
 * The page the local server shows for a job: the viewer filling the window, as a platform page
 * would embed it. The token comes from the page's own session (here `/_ref/dev-token`) through
 * `getToken()`, never from the URL.
 */

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface HostPageOptions {
  /** The logs API's base URL. */
  apiBase: string;
  /** A same-origin URL answering `{ "token": "…" }` for the page's user (a dev token locally). */
  tokenUrl?: string;
  /**
   * The token itself, where the page's session already holds it (a single-page app with its OIDC
   * access token in memory): handed over as `viewer.token` with no request. Wins over `tokenUrl`.
   */
  token?: string;
  /** Where the bundle is served. */
  bundleUrl?: string;
}

export function hostPage(jobId: string, params: URLSearchParams, options: HostPageOptions): string {
  const apiBase = options.apiBase;
  const theme = params.get('theme');
  const attributes = [`api="${escapeHtml(apiBase)}"`, `job="${escapeHtml(jobId)}"`, theme === 'dark' || theme === 'light' ? `theme="${theme}"` : '']
    .filter(Boolean)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(jobId)} · joblogs</title>
<style>
  html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  header { padding: 8px 12px; font-size: 14px; }
  joblogs-viewer { flex: 1; --joblogs-height: auto; margin: 0 12px 12px; }
  @media (prefers-color-scheme: dark) { body { background: #010409; color: #e6edf3; } }
</style>
<script type="module" async src="${escapeHtml(options.bundleUrl ?? '/viewer/joblogs-viewer.js')}"></script>
</head>
<body>
<header>Job <strong>${escapeHtml(jobId)}</strong></header>
<joblogs-viewer ${attributes}></joblogs-viewer>
<script>
  const viewer = document.querySelector('joblogs-viewer');
${options.token !== undefined ? inlineToken(options.token) : fetchedToken(options.tokenUrl ?? '')}
  for (const type of ['joblogs-status', 'joblogs-error', 'joblogs-line-selected']) {
    viewer.addEventListener(type, (event) => { (window.joblogsEvents ??= []).push({ type, detail: event.detail }); });
  }
</script>
</body>
</html>`;
}

/** The page's session already has the token: handed over at once. */
function inlineToken(token: string): string {
  return `  viewer.token = ${scriptString(token)};`;
}

/**
 * The page's own session hands the viewer its token: asked for now, while the viewer's bundle
 * loads; called once, and again after a 401 (the token may have expired) for a fresh one.
 */
function fetchedToken(tokenUrl: string): string {
  return `  const fetchToken = () => fetch(${scriptString(tokenUrl)}).then((r) => r.json()).then((body) => body.token);
  let token = fetchToken();
  let calls = 0;
  viewer.getToken = () => (calls++ === 0 ? token : (token = fetchToken()));`;
}

/** A string literal safe inside an inline `<script>`. */
function scriptString(text: string): string {
  return JSON.stringify(text).replace(/</g, '\\u003c');
}
