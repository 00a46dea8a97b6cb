// Journey 6 — Installable: in a persistent profile (an ordinary context reports
// "in-incognito"), Chromium finds no installability errors and a manifest without
// errors; the service worker is activated and controls the page; an offline reload is
// answered by it and the app starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
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
});
