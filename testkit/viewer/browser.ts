/**
 * Headless Chromium (Debian's `chromium` package) driven by playwright-core, and a page object
 * that uses the viewer as a person does — wheel, keys, clicks — and reads what is on screen.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { LOCAL_DIR } from '../paths.js';

export { launchBrowser } from '../browser.js';
export const ARTIFACTS_DIR = path.join(LOCAL_DIR, 'artifacts', 'viewer');

/** A row as a person reads it: the line number in the gutter and the text. */
export interface ScreenRow {
  number: string;
  text: string;
  level: string | null;
  classes: string;
}

export class ViewerPage {
  readonly viewer: Locator;

  /** `artifacts`: a folder under ARTIFACTS_DIR for this page's screenshots. */
  constructor(
    readonly page: Page,
    readonly artifacts?: string,
  ) {
    this.viewer = page.locator('joblogs-viewer');
  }

  static async open(
    browser: Browser,
    url: string,
    options: { colorScheme?: 'light' | 'dark' | undefined; artifacts?: string | undefined; height?: number | undefined } = {},
  ): Promise<ViewerPage> {
    const page = await browser.newPage({ viewport: { width: 1280, height: options.height ?? 720 }, colorScheme: options.colorScheme ?? 'light' });
    const viewer = new ViewerPage(page, options.artifacts);
    await page.goto(url);
    return viewer;
  }

  get scroller(): Locator {
    return this.viewer.locator('.scroller');
  }

  /** The rows inside the visible part of the scroller, top to bottom. */
  async screenRows(): Promise<ScreenRow[]> {
    return this.scroller.evaluate((scroller) => {
      const box = scroller.getBoundingClientRect();
      const rows = [...scroller.querySelectorAll('.row')]
        .map((row) => ({ row, rect: row.getBoundingClientRect() }))
        .filter(({ rect }) => rect.bottom > box.top + 2 && rect.top < box.bottom - 2)
        .sort((a, b) => a.rect.top - b.rect.top);
      return rows.map(({ row }) => ({
        number: row.querySelector('.ln')?.textContent ?? '',
        text: (row.classList.contains('footer') ? row : row.querySelector('.tx'))?.textContent ?? '',
        level: row.getAttribute('data-level'),
        classes: row.className,
      }));
    });
  }

  /** Waits until some row on screen satisfies `test`; returns it. */
  async waitForRow(test: (row: ScreenRow) => boolean, timeoutMs = 10_000): Promise<ScreenRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.screenRows()).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such row on screen; saw:\n${(await this.screenRows()).map((r) => `${r.number} ${r.text}`).join('\n')}`);
      await this.page.waitForTimeout(50);
    }
  }

  async firstLineNumber(): Promise<number> {
    const rows = await this.screenRows();
    return Number(rows.find((r) => r.number !== '')?.number ?? NaN);
  }

  /** How many rows exist in the DOM (windowing keeps this small). */
  async rowsInDom(): Promise<number> {
    return this.viewer.locator('.row').count();
  }

  async wheel(deltaY: number, times = 1): Promise<void> {
    const box = (await this.scroller.boundingBox())!;
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < times; i++) {
      await this.page.mouse.wheel(0, deltaY);
      await this.page.waitForTimeout(16);
    }
  }

  /** From now on the API's pages of lines reach the page `ms` late, as on a slow network or a busy cluster. */
  async delayPagesOfLines(ms: number): Promise<void> {
    await this.page.route(
      (url) => url.pathname.endsWith('/lines'),
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        await route.continue().catch(() => undefined); // the page may have closed meanwhile
      },
    );
  }

  /** Drags the scrollbar's thumb slowly: `pixels` moves of one pixel of the track, a frame apart. */
  async dragThumbByPixels(pixels: number): Promise<void> {
    await this.scroller.evaluate(async (scroller, n) => {
      const window = scroller.ownerDocument.defaultView!;
      for (let i = 0; i < n; i++) {
        scroller.scrollTop += (scroller.scrollHeight - scroller.clientHeight) / scroller.clientHeight;
        await new Promise((resolve) => window.requestAnimationFrame(resolve));
      }
    }, pixels);
  }

  /** Where the view is on the scrollbar, 0…1. */
  async scrollFraction(): Promise<number> {
    return this.scroller.evaluate((scroller) => scroller.scrollTop / (scroller.scrollHeight - scroller.clientHeight));
  }

  /** Drags the scrollbar: puts the view at `fraction` of its height. */
  async dragScrollbarTo(fraction: number): Promise<void> {
    await this.scroller.evaluate((scroller, f) => {
      scroller.scrollTop = f * (scroller.scrollHeight - scroller.clientHeight);
    }, fraction);
  }

  async search(query: string): Promise<void> {
    const box = this.viewer.locator('input[type=search]');
    await box.fill(query);
    await box.press('Enter');
  }

  async searchStatus(): Promise<string> {
    return (await this.viewer.locator('.search-status').textContent()) ?? '';
  }

  async statusBar(): Promise<string> {
    return (await this.viewer.locator('.statusbar').textContent()) ?? '';
  }

  async alert(): Promise<string> {
    return (await this.viewer.locator('.alert').textContent()) ?? '';
  }

  button(name: string): Locator {
    return this.viewer.getByRole('button', { name });
  }

  async screenshot(name: string): Promise<string> {
    const dir = path.join(ARTIFACTS_DIR, this.artifacts ?? '');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
