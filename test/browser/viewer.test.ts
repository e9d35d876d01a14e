/**
 * The log viewer in a real headless Chromium, used the way a person uses it. Screenshots of each
 * scene land in .local/artifacts/viewer/ (…/reference/ for the reference server's). The server
 * side comes from one fixture (testkit/viewer): the local stack's real logs API by default
 * (JOBLOGS_VIEWER_BACKEND=reference: the reference server of viewer/dev).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { backendKind, launchBrowser, startBackend, ViewerPage, type LogsBackend, type RunningJob } from '../../testkit/viewer/index.js';

const TRACEBACK_ROWS = [
  'Traceback (most recent call last):',
  '  File "train.py", line 212, in <module>',
  '    loss = model(batch).loss',
  '  File "model.py", line 88, in forward',
  '    h = self.attn(x)',
  'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
];

let backend: LogsBackend;
let browser: Browser;
let million: string;
const pages: ViewerPage[] = [];

beforeAll(async () => {
  [backend, browser] = await Promise.all([startBackend({ run: inject('viewerRun') }), launchBrowser()]);
  million = await backend.millionLineJob();
});

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.page.close()));
});

afterAll(async () => {
  await browser?.close();
  await backend?.close();
});

type OpenOptions = { hash?: string; theme?: 'light' | 'dark'; session?: 'held'; colorScheme?: 'light' | 'dark'; height?: number };

async function openOn(on: LogsBackend, jobId: string, options: OpenOptions = {}): Promise<ViewerPage> {
  const viewer = await ViewerPage.open(browser, on.viewerUrl(jobId, options), {
    colorScheme: options.colorScheme,
    height: options.height,
    artifacts: on.kind === 'reference' ? 'reference' : undefined,
  });
  pages.push(viewer);
  return viewer;
}

const open = (jobId: string, options: OpenOptions = {}): Promise<ViewerPage> => openOn(backend, jobId, options);

/** What the API answers the page's user (to compare the screen with). */
async function apiGet<T>(route: string): Promise<T> {
  const response = await fetch(`${backend.apiBase}${route}`, { headers: { authorization: `Bearer ${await backend.apiToken()}` } });
  return (await response.json()) as T;
}

describe('a finished 1 000 000-line job', () => {
  it('opens at its first line with only the visible rows in the page', async () => {
    const viewer = await open(million);
    const first = await viewer.waitForRow((r) => r.number === '1');
    expect(first.text).toBe('== epoch 1 · shard 0 ==');
    expect(await viewer.statusBar()).toContain('1,000,000 lines');
    expect(await viewer.rowsInDom()).toBeLessThan(120);
    await viewer.screenshot('million-first-screen');
  });

  it('opens the same way when its host page already holds the token, asking for none', async () => {
    const viewer = await open(million, { session: 'held' });
    const first = await viewer.waitForRow((r) => r.number === '1');
    const requested = await viewer.page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    expect(first.text).toBe('== epoch 1 · shard 0 ==');
    expect(requested.filter((path) => path.includes('token'))).toEqual([]);
    expect(requested).toContain(`/jobs/${million}`);
  });

  it('opens the middle of the job from a #L500001 permalink, the line selected', async () => {
    const viewer = await open(million, { hash: '#L500001' });
    const row = await viewer.waitForRow((r) => r.number === '500001');
    expect(row.text).toBe('== epoch 501 · shard 4 ==');
    expect(row.classes).toContain('selected');
    expect((await viewer.screenRows())[0]!.number).toBe('499998'); // context above it
    await viewer.screenshot('million-permalink-middle');
  });

  it('scrolls by wheel through thousands of lines in order, the DOM staying small', async () => {
    const viewer = await open(million, { hash: '#L200001' });
    await viewer.waitForRow((r) => r.number === '200001');
    await viewer.wheel(2000, 60); // ≈ 6 000 rows down
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 10_000 }).toBeGreaterThan(205_000);
    expect(await viewer.firstLineNumber()).toBeLessThan(207_500); // 1:1, not thrown by the scrollbar's scale
    const numbers = (await viewer.screenRows()).map((r) => Number(r.number)).filter((n) => n > 0);
    numbers.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(numbers[i]!));
    expect(await viewer.rowsInDom()).toBeLessThan(120);
    const reached = await viewer.firstLineNumber();
    // Back up ≈ 4 000 rows: past the lines the bounded window let go of, so they are paged in again.
    await viewer.wheel(-2000, 40);
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 10_000 }).toBeLessThan(reached - 3000);
    const again = (await viewer.screenRows()).map((r) => Number(r.number)).filter((n) => n > 0);
    again.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(again[i]!));
  });

  it('keeps a fast wheel 1:1 when it outruns pages slowed down on their way', async () => {
    // 6 000 rows down, far past every page that could arrive meanwhile.
    const { viewer, start } = await wheelFromTheMiddle({ pageDelayMs: 2_500, notches: 60 });
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 30_000 }).toBeGreaterThan(start + 5_900);
    // The view opened at the row the wheel reached, counted in rows, not at the scrollbar's scale (≈ 8 000 rows on).
    expect(await viewer.firstLineNumber()).toBeLessThan(start + 6_150);
    const numbers = (await viewer.screenRows()).map((r) => Number(r.number)).filter((n) => n > 0);
    numbers.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(numbers[i]!));
  });

  it('counts what a wheel turns while the page it outran loads, still 1:1', async () => {
    // 15 000 rows, for longer than a page takes: pages land while it turns.
    const { viewer, start } = await wheelFromTheMiddle({ pageDelayMs: 1_000, notches: 150 });
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 30_000 }).toBeGreaterThan(start + 14_700);
    // Opening each page at the row asked for where the view was when it landed lost the rows turned meanwhile (≈ 8 300 on).
    expect(await viewer.firstLineNumber()).toBeLessThan(start + 15_400);
  });

  it('fills the view when a wheel stops past the rows that landed while the next jump loads', async () => {
    // 2 000 rows (far past the loaded rows: a jump, and another to where the wheel stopped) …
    const { viewer, start } = await wheelFromTheMiddle({ pageDelayMs: 1_000, notches: 20 });
    // … then, once the first jump has landed and while the second loads, 500 rows more: not far
    // enough from the first one's rows for a third jump, and past the rows the second one brings.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await viewer.wheel(2000, 5);
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 15_000 }).toBeGreaterThan(start + 2_400);
    expect(await viewer.firstLineNumber()).toBeLessThan(start + 2_600);
    const numbers = (await viewer.screenRows()).map((r) => Number(r.number)).filter((n) => n > 0);
    numbers.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(numbers[i]!));
  });

  it('follows a slow drag of the thumb on a tall view by the scrollbar, not row by row', async () => {
    // 1 600 px: a pixel of the thumb moves ~9 400 px, under ten screens, as far as a fast wheel's step.
    const viewer = await open(million, { hash: '#L200001', height: 1_600 });
    await viewer.waitForRow((r) => r.number === '200001');
    await viewer.dragThumbByPixels(160);
    const fraction = await viewer.scrollFraction();
    // Counted in rows (20 px each, where the scrollbar gives one 15 px), it lagged the thumb: 280 623 for 307 584.
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 15_000 }).toBeGreaterThan(fraction * 1_000_000 - 5_000);
    expect(await viewer.firstLineNumber()).toBeLessThan(fraction * 1_000_000 + 5_000);
  });

  it('lands where the scrollbar is dragged, and at the end shows the exit code', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.dragScrollbarTo(0.5);
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 10_000 }).toBeGreaterThan(450_000);
    expect(await viewer.firstLineNumber()).toBeLessThan(550_000);
    await viewer.scroller.press('End');
    const footer = await viewer.waitForRow((r) => r.classes.includes('footer'));
    expect(footer.text).toBe('Job finished, exit code 1');
    const rows = await viewer.screenRows();
    expect(rows.at(-2)!.text).toBe('RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(rows.at(-2)!.number).toBe('1000000');
    await viewer.screenshot('million-end-exit-code');
  });

  it('renders ANSI colours as styled text and never shows an escape code', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '26');
    const rows = await viewer.screenRows();
    expect(rows.map((r) => r.text).join('\n')).not.toMatch(/\x1b|\[\d+(;\d+)*m/);
    const info = viewer.viewer.locator('.row', { hasText: 'step 25 loss' }).locator('.fg-green');
    expect(await info.textContent()).toBe('INFO');
    expect(await info.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).color)).toBe('rgb(17, 99, 41)');
    const loss = viewer.viewer.locator('.row', { hasText: 'step 25 loss' }).locator('.bold');
    expect(await loss.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).fontWeight)).toBe('700');
    const epoch = viewer.viewer.locator('.row', { hasText: '== epoch 1' }).locator('.tx span');
    expect(await epoch.evaluate((el) => el.style.color)).toBe('rgb(0, 215, 255)'); // 256-colour 45
  });

  it('shows a tqdm bar as its final state, and every redraw on request', async () => {
    const viewer = await open(million);
    const bar = await viewer.waitForRow((r) => r.text.includes('epoch 1:'));
    expect(bar.text).toContain('epoch 1: 100%|████████████████████| 100/100');
    // The indexer collapsed the bar: one line numbered by its first state (tqdm's empty leading state, line 2),
    // standing for lines 2–23 — the empty state and 20 earlier ones behind it.
    expect(bar.number).toBe('2');
    expect(await viewer.viewer.locator('.row', { hasText: 'epoch 1: 100%' }).locator('.redraws').textContent()).toBe('↻ 21');
    expect((await viewer.screenRows()).filter((r) => r.text.startsWith('epoch 1:'))).toHaveLength(1);
    await viewer.screenshot('bar-collapsed');
    await viewer.button('Show every redraw of progress bars (r)').click();
    await viewer.waitForRow((r) => r.text.includes('epoch 1:   5%|'));
    const states = (await viewer.screenRows()).filter((r) => r.text.startsWith('epoch 1:'));
    expect(states).toHaveLength(21);
    expect(states.map((s) => s.number)).toEqual(Array.from({ length: 21 }, (_, i) => String(3 + i)));
    expect(states[0]!.classes).toContain('redraw');
    expect(states.at(-1)!.classes).not.toContain('redraw');
    await viewer.screenshot('bar-every-redraw');
  });

  it('searches, steps through matches with their context kept, and highlights them', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.search('out of memory');
    await expect.poll(() => viewer.searchStatus(), { timeout: 15_000 }).toBe('Match 1 of 11');
    const match = await viewer.waitForRow((r) => r.number === '50036');
    expect(match.classes).toContain('current-match');
    expect(await viewer.viewer.locator('.row.current-match mark').allTextContents()).toEqual(['out', 'of', 'memory']);
    const rows = await viewer.screenRows();
    expect(rows.find((r) => r.number === '50031')?.text).toBe('Traceback (most recent call last):'); // context above
    expect(rows.find((r) => r.number === '50037')?.text).toContain('step 50036'); // and below
    await viewer.button('Show timestamps (t)').click();
    await expect.poll(() => viewer.viewer.locator('.row.current-match .ts').isVisible()).toBe(true);
    await viewer.screenshot('search-match-1'); // docs/img/viewer.png
    await viewer.viewer.locator('input[type=search]').press('Enter');
    await expect.poll(() => viewer.searchStatus()).toBe('Match 2 of 11');
    await viewer.waitForRow((r) => r.number === '150036' && r.classes.includes('current-match'));
    await viewer.viewer.locator('input[type=search]').press('Shift+Enter');
    await expect.poll(() => viewer.searchStatus()).toBe('Match 1 of 11');
    await viewer.waitForRow((r) => r.number === '50036' && r.classes.includes('current-match'));
  });

  it('filters by level: only the error lines are left, as the indexer found them', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.viewer.getByRole('combobox', { name: 'Level' }).selectOption({ label: 'Errors' });
    const first = await viewer.waitForRow((r) => r.number === '50030');
    expect(first.text).toBe('ERROR:train:step 50029 failed, skipping the batch');
    await viewer.waitForRow((r) => r.classes.includes('footer'));
    const rows = (await viewer.screenRows()).filter((r) => !r.classes.includes('footer'));
    // One logged error every 100 000 lines: the ten of them, next to each other (the tracebacks'
    // lines carry no level word of their own).
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: 10 }, (_, i) => String(i * 100_000 + 50_030)));
    for (const row of rows) expect(row.level).toBe('error');
    await viewer.screenshot('filter-errors');
  });

  it('filters to the lines without a level: the epoch headers and bars, none of the logged steps', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.viewer.getByRole('combobox', { name: 'Level' }).selectOption({ label: 'No level' });
    // Line 1001 is the second epoch's header: the INFO step lines of epoch 1 before it are gone.
    await viewer.waitForRow((r) => r.number === '1001');
    const rows = (await viewer.screenRows()).filter((r) => !r.classes.includes('footer'));
    expect(rows[0]!.text).toContain('== epoch 1 · shard 0 ==');
    expect(rows.some((r) => r.text.includes('epoch 1: 100%'))).toBe(true);
    for (const row of rows) expect([row.level, row.text.includes('INFO')]).toEqual(['none', false]);
    await viewer.screenshot('filter-no-level');
  });

  it('filters by a level a coloured logger printed inside colour codes', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.viewer.getByRole('combobox', { name: 'Level' }).selectOption({ label: 'Warnings' });
    // `\x1b[33mWARNING\x1b[0m step 97: …`: the indexer reads the level with the colour codes left out.
    const first = await viewer.waitForRow((r) => r.text.startsWith('WARNING step '));
    const rows = (await viewer.screenRows()).filter((r) => !r.classes.includes('footer'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect([row.level, row.text.startsWith('WARNING step ')]).toEqual(['warning', true]);
    expect(first.text).toMatch(/^WARNING step \d+: grad norm \d+\.0 clipped to 1\.0$/);
  });

  it('jumps to the first error and on to the next with the keyboard', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.button('Jump to the first error').click();
    await viewer.waitForRow((r) => r.number === '50030' && r.classes.includes('selected'));
    await viewer.scroller.press('e');
    await viewer.waitForRow((r) => r.number === '150030' && r.classes.includes('selected'));
    expect(new URL(viewer.page.url()).hash).toBe('#L150030');
  });

  it('scrolls a long line sideways, wraps it on request, and shows timestamps', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    const config = viewer.viewer.locator('.row', { hasText: 'config for epoch 1' });
    expect((await config.boundingBox())!.height).toBe(20);
    expect(await viewer.scroller.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await viewer.button('Wrap long lines (w)').click();
    expect(await viewer.button('Wrap long lines (w)').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => (await config.boundingBox())!.height).toBeGreaterThan(39);
    const below = await viewer.viewer.locator('.row', { hasText: 'step 25 loss' }).boundingBox();
    expect(below!.y).toBeGreaterThanOrEqual((await config.boundingBox())!.y + (await config.boundingBox())!.height - 1); // nothing overlaps
    await viewer.scroller.press('t');
    const time = viewer.viewer.locator('.row', { hasText: 'step 25 loss' }).locator('.ts');
    await expect.poll(() => time.isVisible()).toBe(true);
    expect(await time.textContent()).toBe('10:00:00.250');
    // Narrower text, taller row: the whole line still shows, nothing overlaps.
    const text = config.locator('.tx');
    await expect.poll(async () => (await config.boundingBox())!.height).toBeGreaterThanOrEqual((await text.boundingBox())!.height);
    const next = await viewer.viewer.locator('.row', { hasText: 'step 25 loss' }).boundingBox();
    expect(next!.y).toBeGreaterThanOrEqual((await config.boundingBox())!.y + (await config.boundingBox())!.height - 1);
    await viewer.screenshot('wrapped-with-timestamps');
  });

  it('can be used with the keyboard and names its parts for screen readers', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await expect.poll(() => viewer.viewer.getByRole('toolbar', { name: 'Log viewer controls' }).count()).toBe(1);
    expect(await viewer.viewer.getByRole('list', { name: 'Log lines' }).count()).toBe(1);
    expect(await viewer.viewer.getByRole('listitem').first().getAttribute('aria-setsize')).toBe('1000000');
    await viewer.scroller.focus();
    await viewer.page.keyboard.press('/');
    expect(await viewer.viewer.locator('input[type=search]').evaluate((el) => el === (el.getRootNode() as { activeElement?: unknown }).activeElement)).toBe(
      true,
    );
    await viewer.page.keyboard.type('grad norm 8.0');
    await viewer.page.keyboard.press('Enter');
    await expect.poll(() => viewer.searchStatus()).toMatch(/^Match 1 of \d+/);
    await viewer.page.keyboard.press('Escape');
    await viewer.page.keyboard.press('End');
    await viewer.waitForRow((r) => r.classes.includes('footer'));
    await viewer.page.keyboard.press('Home');
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.page.keyboard.press('PageDown');
    await expect.poll(() => viewer.firstLineNumber()).toBeGreaterThan(20);
  });

  it('tells the host page what it shows and which line a person picked', async () => {
    const viewer = await open(million);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.viewer.locator('.row a.ln', { hasText: /^27$/ }).click();
    await viewer.waitForRow((r) => r.number === '27' && r.classes.includes('selected'));
    expect(new URL(viewer.page.url()).hash).toBe('#L27');
    const events = (await viewer.page.evaluate('window.joblogsEvents')) as Array<{ type: string; detail: Record<string, unknown> }>;
    expect(events.find((e) => e.type === 'joblogs-status')?.detail).toMatchObject({ jobId: million, status: 'complete', exitCode: 1, lineCount: 1_000_000 });
    expect(events.find((e) => e.type === 'joblogs-line-selected')?.detail).toMatchObject({ source: 'main', line: 26, lineNumber: 27, permalink: '#L27' });
  });

  it('sends the token only as a bearer header, never in a URL', async () => {
    const requests: Array<{ url: string; authorization: string | undefined }> = [];
    const viewer = new ViewerPage(await browser.newPage());
    pages.push(viewer);
    viewer.page.on(
      'request',
      (request) => request.url().includes('/jobs/') && requests.push({ url: request.url(), authorization: request.headers().authorization }),
    );
    await viewer.page.goto(backend.viewerUrl(million));
    await viewer.waitForRow((r) => r.number === '1');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const request of requests) {
      expect(request.authorization).toMatch(/^Bearer \S+$/);
      expect(request.url).not.toContain(request.authorization!.slice('Bearer '.length));
    }
    expect(await viewer.viewer.evaluate((el) => [...el.attributes].map((a) => a.value).join(' '))).not.toContain(requests[0]!.authorization!.slice(7));
  });

  it('is dark when the host page prefers a dark scheme', async () => {
    const viewer = await open(million, { colorScheme: 'dark' });
    await viewer.waitForRow((r) => r.number === '1');
    const background = await viewer.scroller.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el.querySelector('.row')!).backgroundColor);
    expect(background).toBe('rgb(13, 17, 23)');
    await viewer.screenshot('million-dark');
  });
});

describe('a running job', () => {
  it('follows new lines as they are printed, pauses when scrolled up, resumes, then shows the exit code', async () => {
    const job = await backend.runningJob();
    const viewer = await open(job.jobId);
    await viewer.waitForRow((r) => r.number === '50');
    expect(await viewer.statusBar()).toContain('Running · following');
    await job.print(['first line printed while watching']);
    const printed = await viewer.waitForRow((r) => r.text === 'first line printed while watching');
    expect(printed.number).toBe('51');
    await viewer.screenshot('running-followed-line');

    await viewer.wheel(-300);
    await expect.poll(() => viewer.statusBar()).toContain('Running · paused');
    await job.print(['printed while paused']);
    await expect.poll(() => viewer.statusBar(), { timeout: 15_000 }).toContain('1 new lines below');
    expect((await viewer.screenRows()).some((r) => r.text === 'printed while paused')).toBe(false);
    await viewer.viewer.getByRole('button', { name: '↓ Jump to bottom' }).click();
    await viewer.waitForRow((r) => r.text === 'printed while paused' && r.number === '52');

    // The service drops out mid-tail: the viewer says so, retries from where it was, and shows each line once.
    await job.print(['printed before the outage']);
    await viewer.waitForRow((r) => r.text === 'printed before the outage');
    await backend.interruptNextRequest(503);
    await expect.poll(() => viewer.alert(), { timeout: 30_000 }).toContain('unavailable');
    await job.print(['printed during the outage']);
    await viewer.waitForRow((r) => r.text === 'printed during the outage' && r.number === '54', 20_000);
    await expect.poll(() => viewer.viewer.locator('.alert').isVisible(), { timeout: 15_000 }).toBe(false);

    await job.print(['last words']);
    await viewer.waitForRow((r) => r.text === 'last words');
    await job.finish(0);
    const footer = await viewer.waitForRow((r) => r.classes.includes('footer'), 30_000);
    expect(footer.text).toBe('Job finished, exit code 0');
    const numbers = (await viewer.screenRows()).map((r) => r.number).filter(Boolean);
    expect(new Set(numbers).size).toBe(numbers.length); // nothing shown twice
    await viewer.screenshot('running-finished');
  });

  // The reference server keeps one printed order: only the stack indexes sources apart, so only it has late chunks.
  it.skipIf(backendKind() === 'reference')('puts the lines of a chunk indexed late in their place, not after lines printed later', async () => {
    const { job, viewer, between } = await openWithAGapInMain();
    // rank-1 printed between the two, but its chunk is indexed only now: the next poll brings it.
    await job.printLate!('rank-1', ['rank-1 late 1', 'rank-1 late 2'], between);
    await viewer.waitForRow((r) => r.text === 'rank-1 late 2', 30_000);
    await expectLateLinesInPlace(viewer);
    await viewer.screenshot('running-late-chunk');
    await finishShown(job, viewer);
  });

  it.skipIf(backendKind() === 'reference')('puts a late chunk in its place when a person scrolled up pages down to it', async () => {
    const { job, viewer, between } = await openWithAGapInMain();
    await viewer.wheel(-300);
    await expect.poll(() => viewer.statusBar()).toContain('Running · paused');
    // Paused, the tail leaves the late lines to paging down, from the cursor it polled with.
    await job.printLate!('rank-1', ['rank-1 late 1', 'rank-1 late 2'], between);
    await expect.poll(() => viewer.statusBar(), { timeout: 30_000 }).toContain('2 new lines below');
    await viewer.wheel(300, 3);
    await viewer.waitForRow((r) => r.text === 'rank-1 late 2', 30_000);
    await expectLateLinesInPlace(viewer);
    await finishShown(job, viewer);
  });
});

/** The 1M-line job opened at line 200 001, its pages slowed down, then a wheel of 100 rows a notch. */
async function wheelFromTheMiddle(o: { pageDelayMs: number; notches: number }): Promise<{ viewer: ViewerPage; start: number }> {
  const viewer = await open(million, { hash: '#L200001' });
  await viewer.waitForRow((r) => r.number === '200001');
  const start = await viewer.firstLineNumber();
  await viewer.delayPagesOfLines(o.pageDelayMs);
  await viewer.wheel(2000, o.notches);
  return { viewer, start };
}

/** A running job with 'printed before rank-1' and 'printed after rank-1' shown, and a moment between them. */
async function openWithAGapInMain(): Promise<{ job: RunningJob; viewer: ViewerPage; between: number }> {
  const job = await backend.runningJob();
  const viewer = await open(job.jobId);
  await viewer.waitForRow((r) => r.number === '50');
  await job.print(['printed before rank-1']);
  await viewer.waitForRow((r) => r.text === 'printed before rank-1');
  const between = Date.now() + 20;
  await new Promise((resolve) => setTimeout(resolve, 60));
  await job.print(['printed after rank-1']);
  await viewer.waitForRow((r) => r.text === 'printed after rank-1');
  return { job, viewer, between };
}

async function expectLateLinesInPlace(viewer: ViewerPage): Promise<void> {
  const texts = (await viewer.screenRows()).map((r) => r.text);
  const order = ['printed before rank-1', 'rank-1 late 1', 'rank-1 late 2', 'printed after rank-1'].map((t) => texts.indexOf(t));
  expect(order.every((at) => at !== -1)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(texts.filter((t) => t.startsWith('rank-1 late'))).toHaveLength(2); // each once
}

/** The tail ends with the job (no long poll left open on the API for the next test's outage to meet). */
async function finishShown(job: RunningJob, viewer: ViewerPage): Promise<void> {
  await job.finish(0);
  const footer = await viewer.waitForRow((r) => r.classes.includes('footer'), 30_000);
  expect(footer.text).toBe('Job finished, exit code 0');
}

describe('a job of several sources', () => {
  it('scrolls the merged view by wheel and by scrollbar, in capture order', async () => {
    const jobId = await backend.multiSourceJob();
    const viewer = await open(jobId);
    await viewer.waitForRow((r) => r.number === '1');
    await viewer.wheel(2000, 20);
    await expect.poll(async () => (await viewer.screenRows()).length).toBeGreaterThan(20);
    await viewer.dragScrollbarTo(0.5);
    // Half way through the job's time: about where the ranks were then (near line 2 500 of their 5 000).
    const summary = await apiGet<{ startedAt: string; endedAt: string }>(`/jobs/${jobId}`);
    const middle = new Date((Date.parse(summary.startedAt) + Date.parse(summary.endedAt)) / 2).toISOString();
    const then = (await apiGet<{ lines: Array<{ line: number }> }>(`/jobs/${jobId}/lines?at=${middle}&limit=1`)).lines[0]!.line + 1;
    expect(then).toBeGreaterThan(1000);
    expect(then).toBeLessThan(4000);
    await expect.poll(() => viewer.firstLineNumber(), { timeout: 10_000 }).toBeGreaterThan(then - 500);
    expect(await viewer.firstLineNumber()).toBeLessThan(then + 500);
    // The ranks' lines interleave by capture time (they printed side by side).
    const sources = new Set(await viewer.viewer.locator('.row .src').allTextContents());
    expect(sources.size).toBeGreaterThan(1);
    for (const source of sources) expect(['rank-0', 'rank-1', 'rank-2', 'rank-3']).toContain(source);
  });

  it('merges the ranks by capture time with a source column; #rank-2:L3001 opens that rank', async () => {
    const jobId = await backend.multiSourceJob();
    const merged = await open(jobId);
    await merged.waitForRow((r) => r.number === '1');
    const first = (await apiGet<{ lines: Array<{ source: string }> }>(`/jobs/${jobId}/lines?limit=1`)).lines[0]!;
    expect(await merged.viewer.locator('.row .src').first().textContent()).toBe(first.source);
    await merged.screenshot('multi-source-merged');

    const one = await open(jobId, { hash: '#rank-2:L3001' });
    const row = await one.waitForRow((r) => r.number === '3001');
    expect(row.text).toBe('Traceback (most recent call last):');
    expect(row.classes).toContain('selected');
    expect(await one.viewer.getByRole('combobox', { name: 'Source' }).inputValue()).toBe('rank-2');
    const rows = await one.screenRows();
    expect(rows.filter((r) => Number(r.number) >= 3001 && Number(r.number) <= 3006).map((r) => r.text)).toEqual(TRACEBACK_ROWS);
    expect(rows.find((r) => r.number === '3007')?.text).toContain('INFO');
  });

  it('jumps to an error under the filters: the stream filter stays, a chosen source without errors gives way', async () => {
    const jobId = await backend.multiSourceJob();
    const viewer = await open(jobId);
    await viewer.waitForRow((r) => r.number === '1');
    const stream = viewer.viewer.getByRole('combobox', { name: 'Stream' });
    const source = viewer.viewer.getByRole('combobox', { name: 'Source' });
    await stream.selectOption('stderr');
    const shownStdout = async (): Promise<boolean> => (await viewer.screenRows()).some((r) => r.text.startsWith('INFO'));
    await expect.poll(async () => (await viewer.screenRows()).length > 0 && !(await shownStdout())).toBe(true);
    await viewer.button('Jump to the first error').click();
    // Every source's lines, stderr only, opened at rank-2's traceback (in the merged view, by its capture time).
    const merged = await viewer.waitForRow((r) => r.text === 'Traceback (most recent call last):' && r.classes.includes('selected'));
    expect(merged.number).toBe('3001');
    expect([await source.inputValue(), await stream.inputValue()]).toEqual(['', 'stderr']);
    expect(await shownStdout()).toBe(false);

    // rank-0 printed no error: the jump reads rank-2 instead, still stderr only.
    await source.selectOption('rank-0');
    await expect.poll(() => viewer.viewer.locator('.row .src').count()).toBe(0); // one source's view: no source column
    await viewer.button('Jump to the first error').click();
    const own = await viewer.waitForRow((r) => r.number === '3001' && r.classes.includes('selected'));
    expect(own.text).toBe('Traceback (most recent call last):');
    expect([await source.inputValue(), await stream.inputValue()]).toEqual(['rank-2', 'stderr']);
  });

  it('downloads the whole file through the signer, and links to Kibana', async () => {
    const jobId = await backend.multiSourceJob();
    const viewer = await open(jobId);
    await viewer.waitForRow((r) => r.number === '1');
    const kibana = viewer.viewer.getByRole('link', { name: 'Kibana ↗' });
    await expect.poll(() => kibana.getAttribute('href')).toContain('app/discover');
    expect(await kibana.getAttribute('target')).toBe('_blank');
    const [download] = await Promise.all([viewer.page.waitForEvent('download'), viewer.button('Download the whole log file').click()]);
    expect(download.suggestedFilename()).toBe(`${jobId}.log.gz`);
    await download.cancel();
  });
});

describe('refusals', () => {
  it('says when the service is unavailable, and recovers by itself', async () => {
    await backend.interruptNextRequest(503);
    const viewer = await open(million);
    await expect.poll(() => viewer.alert()).toContain('The logs service is unavailable right now (UNAVAILABLE');
    await viewer.screenshot('refusal-unavailable');
    await viewer.waitForRow((r) => r.number === '1', 20_000);
    expect(await viewer.viewer.locator('.alert').isVisible()).toBe(false);
  });

  it('says clearly when the job belongs to someone else', async () => {
    const jobId = await backend.otherUsersJob();
    const viewer = await open(jobId);
    await expect.poll(() => viewer.alert()).toContain(`You may not read the logs of job “${jobId}”`);
    await viewer.screenshot('refusal-forbidden');
  });

  it('says clearly when there is no such job', async () => {
    const viewer = await open('no-such-job');
    await expect.poll(() => viewer.alert()).toContain('No job named “no-such-job” (NOT_FOUND)');
  });
});

/**
 * What the ingest builds (issue 14) and the logs API hands the viewer: a multi-line event grouped
 * into one document (`span`), and a progress bar collapsed to its final state (`redraws`, its
 * earlier states behind `GET /jobs/{jobId}/redraws`), here on the 4-rank job.
 */
describe('grouped events and collapsed bars from the API', () => {
  let jobId: string;

  beforeAll(async () => {
    jobId = await backend.multiSourceJob();
  });

  it('shows an event the API grouped (span 6) as six numbered rows', async () => {
    const viewer = await openOn(backend, jobId, { hash: '#rank-2:L3001' });
    await viewer.waitForRow((r) => r.number === '3001');
    const rows = await viewer.screenRows();
    expect(rows.filter((r) => Number(r.number) >= 3001 && Number(r.number) <= 3006).map((r) => r.text)).toEqual(TRACEBACK_ROWS);
    expect(rows.find((r) => r.number === '3007')?.text).toContain('INFO');
    await viewer.screenshot('grouped-event');
  });

  it('shows a bar the API collapsed, and fetches its earlier states on request', async () => {
    const viewer = await openOn(backend, jobId, { hash: '#rank-1:L11' });
    const bar = await viewer.waitForRow((r) => r.number === '11');
    expect(bar.text).toContain('loader r1: 100%');
    expect(await viewer.viewer.locator('.row.selected .redraws').textContent()).toBe('↻ 9');
    await viewer.scroller.press('r');
    await viewer.waitForRow((r) => r.text.includes('loader r1:  10%'));
    expect((await viewer.screenRows()).filter((r) => r.text.includes('loader r1:'))).toHaveLength(10);
    await viewer.screenshot('bar-collapsed-by-api');
  });
});
