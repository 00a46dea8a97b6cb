// How queued messages leave the device: by the service worker's Background Sync with no
// page open, by the page alone where Background Sync is missing, and after the service
// was down while the browser was online. Each message arrives exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { startStack, type Stack } from './support/stack.ts';
// send() waits until the message is sealed and shown, so a reload right after cannot race it.
import { send, message } from './support/journeys.ts';

const PASS = 'correct horse battery staple 42';

async function createAccount(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('onboarding-username').fill(name);
  await page.getByTestId('onboarding-passphrase').fill(PASS);
  await page.getByTestId('onboarding-passphrase-confirm').fill(PASS);
  await page.getByTestId('onboarding-create').click();
  const link = page.getByTestId('download-keyfile');
  await link.waitFor({ timeout: 60_000 });
  await Promise.all([page.waitForEvent('download'), link.click()]);
  await page.getByTestId('keyfile-saved').check();
  await page.getByTestId('onboarding-continue').click();
  await page.getByTestId('start-username').waitFor();
}

async function openWith(page: Page, other: string): Promise<void> {
  const item = page.locator(`[data-testid="conversation-item"][data-title="${other}"]`);
  // The first conversation from a stranger is a message request (THREATS L3): accept it.
  const request = page.locator(`[data-testid="request-item"][data-title="${other}"]`);
  await item.or(request).first().waitFor({ timeout: 20_000 });
  if ((await item.count()) === 0) {
    await request.click();
    await page.getByTestId('request-accept').click();
  } else await item.click();
  await page.locator('[data-testid="conversation-title"]', { hasText: other }).waitFor();
}



async function bodies(page: Page, prefix: string): Promise<string[]> {
  return (await page.getByTestId('message-body').allTextContents()).filter((b) => b.startsWith(prefix));
}

async function waitForController(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
}

describe('pwa delivery paths in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ctxA: BrowserContext;
  let pageA: Page;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    ctxA = await browser.newContext();
    pageA = await ctxA.newPage();
    await createAccount(pageA, stack.url, 'alice');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function bobWith(opts: { name: string; backgroundSync: boolean }): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext();
    if (opts.backgroundSync) await ctx.grantPermissions(['background-sync'], { origin: stack.url });
    else await ctx.addInitScript(() => { delete (ServiceWorkerRegistration.prototype as { sync?: unknown }).sync; });
    const page = await ctx.newPage();
    await createAccount(page, stack.url, opts.name);
    await page.getByTestId('start-username').fill('alice');
    await page.getByTestId('start-conversation').click();
    await page.getByTestId('composer-input').waitFor();
    await send(page, `hi from ${opts.name}`);
    await openWith(pageA, opts.name);
    await message(pageA, `hi from ${opts.name}`).waitFor({ timeout: 15_000 });
    await waitForController(page);
    return { ctx, page };
  }

  it('Background Sync: written offline, page closed, the worker sends them when the network is back', async () => {
    const { ctx, page } = await bobWith({ name: 'bob', backgroundSync: true });
    await ctx.setOffline(true);
    for (const t of ['bg one', 'bg two', 'bg three']) await send(page, t);
    await expect.poll(() => message(page, 'bg three').getAttribute('data-state')).toBe('queued');
    const hasSync = await page.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready));
    expect(hasSync).toBe(true);
    await page.close(); // only the service worker is left to send
    await ctx.setOffline(false);
    await expect.poll(() => bodies(pageA, 'bg '), { timeout: 45_000 }).toEqual(['bg one', 'bg two', 'bg three']);
    await ctx.close();
  });

  it('page fallback: with no Background Sync the page sends on `online`, once each, in order, with compose times', async () => {
    const { ctx, page } = await bobWith({ name: 'carol', backgroundSync: false });
    expect(await page.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready))).toBe(false);
    await ctx.setOffline(true);
    const before = Date.now();
    for (const t of ['fb one', 'fb two', 'fb three']) await send(page, t);
    await page.reload();
    await openWith(page, 'alice');
    await expect.poll(() => message(page, 'fb three').getAttribute('data-state'), { timeout: 10_000 }).toBe('queued');
    await page.waitForTimeout(1500);
    await ctx.setOffline(false);
    await expect.poll(() => bodies(pageA, 'fb '), { timeout: 45_000 }).toEqual(['fb one', 'fb two', 'fb three']);
    const composed = await pageA.locator('[data-testid="message"]', { hasText: /^fb / }).evaluateAll((els) =>
      els.map((e) => Number(e.getAttribute('data-composed-at'))),
    );
    expect(composed.every((t) => t >= before - 1000 && t < Date.now())).toBe(true);
    expect([...composed].sort((a, b) => a - b)).toEqual(composed);
    await ctx.close();
  });

  it('server down while online: the message waits queued and arrives exactly once after the restart', async () => {
    const { ctx, page } = await bobWith({ name: 'dave', backgroundSync: true });
    await stack.stopService();
    try {
      await send(page, 'while the server was down');
      await expect.poll(() => message(page, 'while the server was down').getAttribute('data-state'), { timeout: 10_000 }).toBe('queued');
      await page.waitForTimeout(2000);
    } finally {
      await stack.startServiceAgain();
    }
    await expect.poll(() => bodies(pageA, 'while the server'), { timeout: 60_000 }).toEqual(['while the server was down']);
    await expect.poll(() => message(page, 'while the server was down').getAttribute('data-state'), { timeout: 30_000 }).toMatch(/sent|delivered/);
    await pageA.waitForTimeout(2000);
    expect(await bodies(pageA, 'while the server')).toEqual(['while the server was down']);
    await ctx.close();
  });
});
