/**
 * The log viewer in headless Chromium against the local stack's real logs API (docs/viewer.md),
 * or the reference server (JOBLOGS_VIEWER_BACKEND=reference):
 *
 *   tsx bench/viewer.ts [--rounds 3] [--scroll-lines 100000] [--px-per-frame 1000] [--tail-lines 40] [--no-sweep] [--run <name>]
 *
 * On the stack, the 1M-line job is shipped through the real shipper and indexed once per `--run`
 * name (default: a new one, ~2 minutes; `--run <the name of an earlier run>` reuses its job while
 * the stack's bucket still holds its registration — the test suite empties it); the running jobs
 * print through the real shipper, so printed → visible includes the whole pipeline.
 *
 * Interleaved rounds, each against a baseline measured in the same round; prints median (min–max):
 * - first screen of a finished 1 000 000-line job, against a page that only fetches the API's first page
 *   (its token in its HTML): the viewer's host page as served (it asks a same-origin URL for the
 *   token while the bundle loads), and a host page whose session already holds the token, as the
 *   baseline's does;
 * - frames longer than 50 ms while scrolling 100 000 lines (rAF timing), JS heap after it, and
 *   (once) the heap after sweeping the whole job top to bottom;
 * - printed → visible while following a running job, against a bare long-poll loop in a page;
 * - the bundle's size (raw and gzip).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { withLocalStack } from '../testkit/stack/index.js';
import { backendKind, launchBrowser, startBackend, type RunningJob } from '../testkit/viewer/index.js';
import { buildViewer, formatSize } from '../viewer/build.js';

const RESULTS_DIR = path.resolve(import.meta.dirname, '../.local/bench/results');

interface Options {
  rounds: number;
  scrollLines: number;
  pxPerFrame: number;
  tailLines: number;
  sweep: boolean;
  run: string;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(argv[at + 1]);
  };
  const run = argv.indexOf('--run');
  return {
    rounds: value('rounds', 3),
    scrollLines: value('scroll-lines', 100_000),
    pxPerFrame: value('px-per-frame', 1000),
    tailLines: value('tail-lines', 40),
    sweep: !argv.includes('--no-sweep'),
    run: run === -1 ? `bench-${Date.now().toString(36)}` : argv[run + 1]!,
  };
}

// ---- pages -------------------------------------------------------------------------------------

/** What a page prints (console.debug) with the time of the frame after its first lines are in it. */
const PAINTED = 'joblogs-bench:painted';

/**
 * The baseline of the first screen: the API's first page alone, fetched and shown as plain text,
 * timed at the frame after (as the viewer is).
 */
const FIRST_PAGE = (token: string): string => `<!doctype html><meta charset="utf-8"><title>first page</title><pre id="lines"></pre><script type="module">
  const job = new URLSearchParams(location.search).get('job');
  const response = await fetch('/jobs/' + job + '/lines?after=start&limit=300', { headers: { Authorization: 'Bearer ${token}' } });
  document.getElementById('lines').textContent = (await response.json()).lines.map((line) => line.text).join('\\n');
  requestAnimationFrame(() => console.debug('${PAINTED} ' + performance.now()));
</script>`;

/**
 * The viewer's first screen: the frame after its `joblogs:first-screen` mark (first rows in the
 * page), asked for when the mark is made, as the baseline asks for its frame when its text is in.
 * (A PerformanceObserver's callback comes as a low-priority task, up to 100 ms or more later.)
 */
const WATCH_FIRST_SCREEN = `(() => {
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    if (name === 'joblogs:first-screen') requestAnimationFrame(() => console.debug('${PAINTED} ' + performance.now()));
    return mark(name, options);
  };
})();`;

/** The baseline of the live tail: a bare long-poll loop, noting when each line arrives. */
const TAIL_BASELINE = (token: string): string => `<!doctype html><meta charset="utf-8"><title>tail</title><script type="module">
  const job = new URLSearchParams(location.search).get('job');
  window.seen = {};
  let next = (await (await fetch('/jobs/' + job + '/lines?before=end&limit=1', { headers: { Authorization: 'Bearer ${token}' } })).json()).next;
  for (;;) {
    const page = await (await fetch('/jobs/' + job + '/lines?wait=20&after=' + encodeURIComponent(next), { headers: { Authorization: 'Bearer ${token}' } })).json();
    for (const line of page.lines) { const id = /probe-(\\d+)/.exec(line.text)?.[1]; if (id) window.seen[id] = Date.now(); }
    next = page.next;
    if (page.status === 'complete') break;
  }
</script>`;

/** Notes when each probe line first shows on screen in the viewer (the frame after it is in the DOM). */
const WATCH_PROBES = `(() => {
  window.seen = {};
  const watch = () => {
    const spacer = document.querySelector('joblogs-viewer')?.shadowRoot?.querySelector('.spacer');
    if (!spacer) return void setTimeout(watch, 20);
    new MutationObserver(() => requestAnimationFrame(() => {
      const now = Date.now();
      for (const row of spacer.querySelectorAll('.row')) { const id = /probe-(\\d+)/.exec(row.textContent)?.[1]; if (id && !window.seen[id]) window.seen[id] = now; }
    })).observe(spacer, { childList: true });
  };
  watch();
})()`;

/**
 * Scrolls `element` by `step` px each animation frame until `total` px, timing every frame.
 * A string, run in the page (a function here would carry the TypeScript loader's helpers along).
 */
const SCROLL_FRAMES = `(element, total, step) => new Promise((resolve) => {
  let scrolled = 0, last = performance.now(), frames = 0, longFrames = 0, longestMs = 0;
  const frame = (now) => {
    const delta = now - last;
    last = now;
    if (frames > 0) { longestMs = Math.max(longestMs, delta); if (delta > 50) longFrames++; }
    frames++;
    if (scrolled >= total) return resolve({ frames, longFrames, longestMs });
    element.scrollTop += step;
    scrolled += step;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})`;

// ---- measurements ------------------------------------------------------------------------------

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  return context.newPage();
}

async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

/**
 * Where the viewer's first screen went, in ms from navigation (Resource Timing): the page's HTML
 * in, each request's start and end (its bundle, the host's token, the summary, the first page),
 * and the `joblogs:first-screen` mark. A string, run in the page.
 */
const FIRST_SCREEN_PHASES = `(() => {
  const entries = performance.getEntriesByType('resource');
  const find = (test) => { const e = entries.find((r) => test(new URL(r.name).pathname)); return e ? [Math.round(e.startTime), Math.round(e.responseEnd)] : null; };
  return {
    html: Math.round(performance.getEntriesByType('navigation')[0].responseEnd),
    bundle: find((p) => p.endsWith('.js')),
    token: find((p) => p.endsWith('token')),
    summary: find((p) => /^\\/jobs\\/[^/]+$/.test(p)),
    lines: find((p) => p.endsWith('/lines')),
    mark: Math.round(performance.getEntriesByName('joblogs:first-screen')[0]?.startTime ?? NaN),
  };
})()`;

type Span = [start: number, end: number] | null;
interface FirstScreenPhases {
  html: number;
  bundle: Span;
  token: Span;
  summary: Span;
  lines: Span;
  mark: number;
}

/**
 * Milliseconds from navigation to the frame the page reports painted (a console message: waiting
 * for it puts no script of the driver's into the page, whose evaluation would compete with the
 * page's own start), and what `probe` reads in the page after that.
 */
async function paintedAt<T = undefined>(browser: Browser, url: string, initScript?: string, probe?: string): Promise<{ ms: number; probed: T }> {
  const page = await newPage(browser);
  if (initScript) await page.addInitScript(initScript);
  const painted = page.waitForEvent('console', { predicate: (message) => message.text().startsWith(PAINTED), timeout: 60_000 });
  await page.goto(url);
  const ms = Number((await painted).text().slice(PAINTED.length));
  const probed = (probe ? await page.evaluate(probe) : undefined) as T;
  await closePage(page);
  return { ms, probed };
}

const firstScreen = (browser: Browser, server: ServerProcess) =>
  paintedAt<FirstScreenPhases>(browser, `${server.url}/view/${server.job}`, WATCH_FIRST_SCREEN, FIRST_SCREEN_PHASES);
const firstScreenTokenHeld = (browser: Browser, server: ServerProcess) =>
  paintedAt<FirstScreenPhases>(browser, `${server.url}/view/${server.job}?session=held`, WATCH_FIRST_SCREEN, FIRST_SCREEN_PHASES);
const firstPage = (browser: Browser, server: ServerProcess) =>
  paintedAt<FirstScreenPhases>(browser, `${server.url}/bench/first-page?job=${server.job}`, undefined, FIRST_SCREEN_PHASES);

interface ScrollResult {
  frames: number;
  longFrames: number;
  longestMs: number;
  heapMB: number;
  linesScrolled: number;
}

/** Scrolls `lines` rows down at `pxPerFrame` per animation frame, timing every frame. */
async function scrollRun(page: Page, lines: number, pxPerFrame: number): Promise<Omit<ScrollResult, 'heapMB'>> {
  const scroller = page.locator('joblogs-viewer').locator('.scroller');
  const start = Number(await page.locator('joblogs-viewer').locator('.row .ln').first().textContent());
  await scroller.waitFor();
  const timing = (await page.evaluate(
    `(${SCROLL_FRAMES})(document.querySelector('joblogs-viewer').shadowRoot.querySelector('.scroller'), ${lines * 20}, ${pxPerFrame})`,
  )) as { frames: number; longFrames: number; longestMs: number };
  await page.waitForTimeout(300);
  const end = Number(await page.locator('joblogs-viewer').locator('.row .ln').last().textContent());
  return { ...timing, linesScrolled: end - start };
}

async function heapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize / 1024 / 1024;
}

async function scrollBench(browser: Browser, server: ServerProcess, options: Options): Promise<ScrollResult> {
  const page = await newPage(browser);
  await page.goto(`${server.url}/view/${server.job}`);
  await page.locator('joblogs-viewer').locator('.row .tx').first().waitFor();
  const run = await scrollRun(page, options.scrollLines, options.pxPerFrame);
  const result = { ...run, heapMB: await heapMB(page) };
  await closePage(page);
  return result;
}

/** Sweeps the whole job top to bottom (fast, 20 screens a frame), then reads the heap. */
async function sweepBench(browser: Browser, server: ServerProcess): Promise<{ heapBeforeMB: number; heapAfterMB: number; longFrames: number; frames: number }> {
  const page = await newPage(browser);
  await page.goto(`${server.url}/view/${server.job}`);
  await page.locator('joblogs-viewer').locator('.row .tx').first().waitFor();
  const heapBeforeMB = await heapMB(page);
  const run = await scrollRun(page, 1_000_000, 20_000);
  await page.locator('joblogs-viewer').locator('.scroller').press('End');
  await page.locator('joblogs-viewer').locator('.row.footer').waitFor();
  const heapAfterMB = await heapMB(page);
  await closePage(page);
  return { heapBeforeMB, heapAfterMB, longFrames: run.longFrames, frames: run.frames };
}

/** Prints probe lines into a running job every 250 ms and returns printed → seen latencies (ms). */
async function tailLatencies(browser: Browser, url: (jobId: string) => string, server: ServerProcess, count: number, useViewer: boolean): Promise<number[]> {
  const { jobId } = await server.ask<{ jobId: string }>({ type: 'running' });
  const page = await newPage(browser);
  if (useViewer) await page.addInitScript(WATCH_PROBES);
  await page.goto(url(jobId));
  if (useViewer) await page.locator('joblogs-viewer').locator('.row .tx').first().waitFor();
  await page.waitForTimeout(500);
  const printedAt: number[] = [];
  for (let i = 0; i < count; i++) {
    printedAt.push((await server.ask<{ at: number }>({ type: 'print', jobId, text: `probe-${i} printed at ${new Date().toISOString()}` })).at);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await page.waitForTimeout(5000);
  const seen = (await page.evaluate('window.seen')) as Record<string, number>;
  await server.ask({ type: 'finish', jobId });
  await closePage(page);
  return printedAt.map((at, i) => (seen[i] === undefined ? Number.POSITIVE_INFINITY : seen[i]! - at));
}

// ---- the server, in a process of its own (as the real API is) ----------------------------------

type Request = { type: 'running' } | { type: 'print'; jobId: string; text: string } | { type: 'finish'; jobId: string };

interface ServerProcess {
  url: string;
  /** The finished 1M-line job. */
  job: string;
  ask<T>(request: Request): Promise<T>;
  stop(): void;
}

async function startServerProcess(options: Options): Promise<ServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', '--run', options.run], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending: Array<(reply: unknown) => void> = [];
  const ready = await new Promise<{ url: string; job: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
    child.on('message', (message: { type: string; url?: string; job?: string }) =>
      message.type === 'ready' ? resolve({ url: message.url!, job: message.job! }) : pending.shift()?.(message),
    );
  });
  return {
    ...ready,
    ask: <T>(request: Request) =>
      new Promise<T>((resolve) => {
        pending.push(resolve as (reply: unknown) => void);
        child.send(request);
      }),
    stop: () => child.kill(),
  };
}

/**
 * Child mode: the backend (its API serves the baseline pages on its own origin) with the 1M-line
 * job; running jobs made, printed to and finished on request, one request at a time.
 */
async function serve(options: Options): Promise<void> {
  const pages = new Map<string, string>();
  const backend = await startBackend({ run: options.run, pages });
  const token = await backend.apiToken();
  pages.set('/bench/first-page', FIRST_PAGE(token)).set('/bench/tail', TAIL_BASELINE(token));
  const job = await backend.millionLineJob();
  const running = new Map<string, RunningJob>();
  let queue = Promise.resolve();
  const answer = async (request: Request): Promise<object> => {
    if (request.type === 'running') {
      const made = await backend.runningJob();
      running.set(made.jobId, made);
      return { jobId: made.jobId };
    }
    const made = running.get(request.jobId)!;
    if (request.type === 'print') await made.print([request.text]);
    else await made.finish(0);
    return { at: Date.now() };
  };
  process.on('message', (request: Request) => {
    queue = queue.then(async () => void process.send!({ type: 'reply', ...(await answer(request)) }));
  });
  process.on('disconnect', () => void backend.close().then(() => process.exit(0)));
  process.send!({ type: 'ready', url: backend.apiBase, job });
}

function formatPhases(p: FirstScreenPhases): string {
  const span = (name: string, s: Span) => (s ? `${name} ${s[0]}–${s[1]}` : `${name} –`);
  return [`html ${p.html}`, span('bundle', p.bundle), span('token', p.token), span('summary', p.summary), span('first page', p.lines), `rows ${p.mark}`].join(
    ', ',
  );
}

// ---- statistics and report -----------------------------------------------------------------------

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!;
}

function summary(values: number[], digits = 0): string {
  if (values.every(Number.isNaN)) return '–';
  return `${quantile(values, 0.5).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

async function main(options: Options): Promise<void> {
  const size = await buildViewer();
  console.log(`bundle viewer/dist/joblogs-viewer.js: ${formatSize(size)}`);
  console.log(`backend: ${backendKind()}`);
  const server = await startServerProcess(options);
  const browser = await launchBrowser();
  const rounds: Array<Record<string, unknown>> = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const { ms: baseline, probed: baselinePhases } = await firstPage(browser, server);
      const { ms: viewer, probed: phases } = await firstScreen(browser, server);
      const { ms: viewerTokenHeld, probed: tokenHeldPhases } = await firstScreenTokenHeld(browser, server);
      const scroll = await scrollBench(browser, server, options);
      const tailBaseline = await tailLatencies(browser, (id) => `${server.url}/bench/tail?job=${id}`, server, options.tailLines, false);
      const tailViewer = await tailLatencies(browser, (id) => `${server.url}/view/${id}`, server, options.tailLines, true);
      const result = {
        round,
        firstPageMs: baseline,
        firstScreenMs: viewer,
        firstScreenRatio: viewer / baseline,
        firstScreenTokenHeldMs: viewerTokenHeld,
        firstScreenTokenHeldRatio: viewerTokenHeld / baseline,
        phases,
        tokenHeldPhases,
        baselinePhases,
        scroll,
        tail: {
          viewerP50: quantile(tailViewer, 0.5),
          viewerP95: quantile(tailViewer, 0.95),
          baselineP50: quantile(tailBaseline, 0.5),
          baselineP95: quantile(tailBaseline, 0.95),
        },
      };
      rounds.push(result);
      console.log(`round ${round}: first screen's phases (ms from navigation) ${formatPhases(phases)}`);
      console.log(`round ${round}: with the token in the page: ${formatPhases(tokenHeldPhases)}`);
      console.log(
        `round ${round}: first screen ${viewer.toFixed(0)} ms (token in the page ${viewerTokenHeld.toFixed(0)} ms) vs first page ${baseline.toFixed(0)} ms (${result.firstScreenRatio.toFixed(2)}×, ${result.firstScreenTokenHeldRatio.toFixed(2)}×); ` +
          `scroll ${scroll.linesScrolled} lines in ${scroll.frames} frames, ${scroll.longFrames} > 50 ms (longest ${scroll.longestMs.toFixed(0)} ms), heap ${scroll.heapMB.toFixed(1)} MB; ` +
          `printed→visible p50 ${result.tail.viewerP50} ms p95 ${result.tail.viewerP95} ms (bare long poll p50 ${result.tail.baselineP50} p95 ${result.tail.baselineP95})`,
      );
    }
    const sweep = options.sweep ? await sweepBench(browser, server) : null;
    const pick = (f: (r: any) => number): number[] => rounds.map(f); // eslint-disable-line @typescript-eslint/no-explicit-any
    console.log('\nmedian (min–max) over', options.rounds, 'rounds');
    console.log(
      `first screen, 1M-line job    ${summary(pick((r) => r.firstScreenMs))} ms  vs API first page alone ${summary(pick((r) => r.firstPageMs))} ms  → ratio ${summary(
        pick((r) => r.firstScreenRatio),
        2,
      )}×  (aim ≤ 1.5×, < 1000 ms)`,
    );
    console.log(
      `  the token in the page       ${summary(pick((r) => r.firstScreenTokenHeldMs))} ms  → ratio ${summary(
        pick((r) => r.firstScreenTokenHeldRatio),
        2,
      )}×  (as the baseline page, whose token is in its HTML; the page above asks the host's token URL)`,
    );
    const span = (f: (p: FirstScreenPhases) => Span, end: 0 | 1): number[] => pick((r) => f(r.phases)?.[end] ?? Number.NaN);
    console.log(
      `  its phases, ms from navigation: html in ${summary(pick((r) => r.phases.html))}; bundle in ${summary(span((p) => p.bundle, 1))}; ` +
        `token in ${summary(span((p) => p.token, 1))}; summary asked ${summary(span((p) => p.summary, 0))}, in ${summary(span((p) => p.summary, 1))}; ` +
        `first page asked ${summary(span((p) => p.lines, 0))}, in ${summary(span((p) => p.lines, 1))}; rows in the page ${summary(pick((r) => r.phases.mark))}` +
        ` (the baseline's page asked ${summary(pick((r) => r.baselinePhases.lines?.[0] ?? Number.NaN))}, in ${summary(pick((r) => r.baselinePhases.lines?.[1] ?? Number.NaN))})`,
    );
    console.log(
      `scrolling ${options.scrollLines} lines       frames > 50 ms: ${summary(pick((r) => r.scroll.longFrames))} of ${summary(pick((r) => r.scroll.frames))}; longest frame ${summary(pick((r) => r.scroll.longestMs))} ms  (aim: none)`,
    );
    console.log(
      `JS heap after that scroll    ${summary(
        pick((r) => r.scroll.heapMB),
        1,
      )} MB  (aim ≤ 100 MB)`,
    );
    if (sweep)
      console.log(
        `whole job swept (1M lines)   heap ${sweep.heapBeforeMB.toFixed(1)} MB at first screen → ${sweep.heapAfterMB.toFixed(1)} MB at the end; ${sweep.longFrames} of ${sweep.frames} frames > 50 ms at 1 000 rows/frame`,
      );
    console.log(
      `printed → visible, following p50 ${summary(pick((r) => r.tail.viewerP50))} ms, p95 ${summary(pick((r) => r.tail.viewerP95))} ms  vs bare long poll p50 ${summary(pick((r) => r.tail.baselineP50))} ms, p95 ${summary(pick((r) => r.tail.baselineP95))} ms  (aim p95 ≤ 3000 ms)`,
    );
    console.log(`bundle                       ${formatSize(size)}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `viewer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ backend: backendKind(), options, bundle: size, rounds, sweep }, null, 2));
    console.log(`raw results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await browser.close();
    server.stop();
  }
}

const options = parseOptions(process.argv.slice(2));
if (process.argv.includes('--serve')) await serve(options);
else if (backendKind() === 'stack') await withLocalStack(() => main(options));
else await main(options);
