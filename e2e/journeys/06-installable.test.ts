// Journey 6 — Installable, and updated only when the user says so. In a persistent
// profile (an ordinary context reports "in-incognito"): the app shell loads under the
// strict CSP without console errors; Chromium finds no installability errors and a
// manifest without errors; the service worker is activated and controls the page; an
// offline reload is answered by it and the app starts. Then (THREATS W1) a new version of
// the app never takes over silently: it waits, the page says so, and only the user's
// "Reload to update" activates it (SKIP_WAITING + one reload).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchPersistent } from '../support/browser.ts';
import type { Stack } from '../support/stack.ts';
import { startJourneyStack, until, watchErrors } from '../support/journeys.ts';

describe('journey 6: installable', () => {
  let stack: Stack;
  let ctx: BrowserContext;
  let profile = '';
  const errors: string[] = [];

  beforeAll(async () => {
    stack = await startJourneyStack();
    profile = await mkdtemp(path.join(os.tmpdir(), 'mh-install-'));
    ctx = await launchPersistent(profile);
  });

  afterAll(async () => {
    await ctx?.close();
    await stack?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('loads the app shell with its title, under the strict CSP, without console errors', async () => {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const response = await page.goto(stack.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.title()).resolves.toBe('MessageHub');
    await page.waitForFunction(() => customElements.get('mh-app') !== undefined);
    expect(consoleErrors).toEqual([]);
  });

  it('is installable, controlled by an activated service worker, and starts offline', async () => {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    watchErrors(page, errors);
    await page.goto(stack.url);
    await page.getByTestId('onboarding-username').waitFor();
    // The worker installs and activates; the next navigation is controlled by it.
    await until(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state === 'activated'), 'the service worker to activate');
    await page.reload();
    await until(() => page.evaluate(() => navigator.serviceWorker.controller !== null), 'the service worker to control the page');
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${stack.url}/sw.js`);

    const cdp = await ctx.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[]; data?: string };
    expect(manifest.url).toBe(`${stack.url}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    const data = JSON.parse(manifest.data ?? '{}') as { name?: string; short_name?: string; start_url?: string; display?: string; icons?: { purpose?: string }[] };
    expect(data).toMatchObject({ name: 'MessageHub', short_name: 'MessageHub', start_url: '/', display: 'standalone' });
    expect(data.icons?.some((i) => i.purpose === 'maskable')).toBe(true);
    // Chromium checks installability asynchronously after load: ask until it has an answer.
    let installability: { errorId: string }[] = [];
    await until(async () => {
      installability = ((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] }).installabilityErrors;
      return installability.length === 0;
    }, 'no installability errors', 15_000).catch(() => undefined);
    expect(installability).toEqual([]);
    await cdp.detach();

    // Offline: the navigation is served by the worker and the app starts.
    await ctx.setOffline(true);
    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    expect(response?.status()).toBe(200);
    await page.getByTestId('onboarding-username').waitFor({ timeout: 10_000 });
    await expect(page.title()).resolves.toBe('MessageHub');
    // A deep link works offline too (navigation fallback to the cached shell).
    const deep = await page.goto(`${stack.url}/some/deep/link`);
    expect(deep?.fromServiceWorker()).toBe(true);
    await page.getByTestId('onboarding-username').waitFor({ timeout: 10_000 });
    await ctx.setOffline(false);
    expect(errors).toEqual([]);
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
    // One tab of the app, as a person would have open.
    const page = await ctx.newPage();
    for (const other of ctx.pages()) if (other !== page) await other.close();
    await page.goto(stack.url);
    await page.getByTestId('onboarding-username').waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
    expect(await page.getByTestId('update-banner').count()).toBe(0);

    // A new deployment: the worker script changes (in this journey's private copy of the build).
    await appendFile(path.join(stack.config.staticDir, 'sw.js'), '\n// a new version\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    await page.getByTestId('update-banner').waitFor({ timeout: 20_000 });

    // Nothing took over: the old worker still controls the page and the new one waits.
    await expect.poll(() => workers(page).then((w) => w.waiting)).toBe('installed');
    expect((await workers(page)).active).toBe('activated');

    await Promise.all([page.waitForEvent('load', { timeout: 20_000 }), page.getByTestId('update-reload').click()]);
    await page.getByTestId('onboarding-username').waitFor();
    await expect.poll(() => workers(page).then((w) => w.waiting)).toBeNull();
    expect(await page.getByTestId('update-banner').count()).toBe(0);
  });
});
