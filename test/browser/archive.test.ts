/**
 * The viewer on a job whose lines have aged out of the search cluster (docs/archive.md), in a real
 * headless Chromium: the same rows as any finished job, and a "from archive" badge in the status
 * bar — only there. The server side is the tests' backend (testkit/viewer): on the local stack a
 * job shipped, indexed and archived through the real pipeline, then deleted from the cluster.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, startBackend, ViewerPage, type LogsBackend } from '../../testkit/viewer/index.js';

let backend: LogsBackend;
let browser: Browser;
const pages: ViewerPage[] = [];

beforeAll(async () => {
  [backend, browser] = await Promise.all([startBackend({ run: inject('viewerRun') }), launchBrowser()]);
}, 900_000);

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.page.close()));
});

afterAll(async () => {
  await browser?.close();
  await backend?.close();
});

async function open(jobId: string): Promise<ViewerPage> {
  const viewer = await ViewerPage.open(browser, backend.viewerUrl(jobId), { artifacts: backend.kind === 'reference' ? 'reference' : undefined });
  pages.push(viewer);
  return viewer;
}

describe('a job whose lines have aged out of the search cluster', () => {
  it('shows its lines as any finished job, with a "from archive" badge', async () => {
    const viewer = await open(await backend.archivedJob());
    const first = await viewer.waitForRow((r) => r.number === '1');
    expect(first.text).toBe('== epoch 1 · shard 0 ==');
    await expect.poll(() => viewer.statusBar()).toContain('from archive');
    expect(await viewer.statusBar()).toContain('2,000 lines');
    expect(await viewer.viewer.locator('.archive-badge').getAttribute('title')).toContain('aged out');
    await viewer.screenshot('archived-job');
  }, 900_000);

  it('shows no badge on a job whose lines are in the cluster', async () => {
    const viewer = await open(await backend.multiSourceJob());
    await viewer.waitForRow((r) => r.number === '1');
    await expect.poll(() => viewer.statusBar()).toContain('4 sources');
    expect(await viewer.viewer.locator('.archive-badge').count()).toBe(0);
  }, 900_000);
});
