// THREATS W1: a new version of the app never takes over silently. It waits, the page
// says so, and only the user's "Reload to update" activates it (SKIP_WAITING + one reload).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { DIST_DIR, startStack, type Stack } from './support/stack.ts';

describe('pwa update prompt in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    // A private copy of the build, so changing its worker disturbs no other test.
    dir = await mkdtemp(path.join(os.tmpdir(), 'mh-dist-'));
    await cp(DIST_DIR, dir, { recursive: true });
    stack = await startStack({ staticDir: dir });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const workers = (page: Page) =>
    page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return {
        controller: navigator.serviceWorker.controller?.scriptURL ?? null,
        active: reg?.active?.state ?? null,
        waiting: reg?.waiting?.state ?? null,
      };
    });

  it('shows "a new version is available" and activates it only when the user reloads', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(stack.url);
    await page.getByTestId('onboarding-username').waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
    expect(await page.getByTestId('update-banner').count()).toBe(0);

    // A new deployment: the worker script changes.
    await appendFile(path.join(dir, 'sw.js'), '\n// a new version\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    await page.getByTestId('update-banner').waitFor({ timeout: 20_000 });

    // Nothing took over: the old worker still controls the page and the new one waits.
    await expect.poll(() => workers(page).then((w) => w.waiting)).toBe('installed');
    expect((await workers(page)).active).toBe('activated');

    await Promise.all([page.waitForEvent('load', { timeout: 20_000 }), page.getByTestId('update-reload').click()]);
    await page.getByTestId('onboarding-username').waitFor();
    await expect.poll(() => workers(page).then((w) => w.waiting)).toBeNull();
    expect(await page.getByTestId('update-banner').count()).toBe(0);
    await ctx.close();
  });
});
