// The PWA's own core path in a real Chromium against the real service: accounts, a
// conversation, live messages both ways, the offline queue, restore from the key file.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { startStack, type Stack } from './support/stack.ts';
// send() waits until the message is sealed and shown, so a reload right after cannot race it.
import { message, send } from './support/journeys.ts';

const PASS = 'correct horse battery staple 42';

async function createAccount(page: Page, url: string, name: string): Promise<string> {
  await page.goto(url);
  await page.getByTestId('onboarding-username').fill(name);
  await page.getByTestId('onboarding-passphrase').fill(PASS);
  await page.getByTestId('onboarding-passphrase-confirm').fill(PASS);
  await page.getByTestId('onboarding-create').click();
  const link = page.getByTestId('download-keyfile');
  await link.waitFor({ timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const keyFile = await readFile((await download.path())!, 'utf8');
  await page.getByTestId('keyfile-saved').check();
  await page.getByTestId('onboarding-continue').click();
  await page.getByTestId('start-username').waitFor();
  return keyFile;
}

async function openConversationWith(page: Page, other: string): Promise<void> {
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



describe('pwa core path in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ctxA: BrowserContext;
  let ctxB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  let keyFileA = '';
  const errors: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    ctxA = await browser.newContext();
    ctxB = await browser.newContext();
    await ctxA.grantPermissions(['background-sync'], { origin: stack.url });
    await ctxB.grantPermissions(['background-sync'], { origin: stack.url });
    pageA = await ctxA.newPage();
    pageB = await ctxB.newPage();
    for (const p of [pageA, pageB]) p.on('pageerror', (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('creates two accounts and chats live both ways', async () => {
    onTestFailed(async () => {
      for (const p of [pageA, pageB]) {
        console.log('FAILED STATE', p.url(), await p.evaluate(() => {
          const walk = (n: Element | ShadowRoot): string => Array.from(n.children).map((c) => (c.shadowRoot ? walk(c.shadowRoot) : '') + ' ' + (c.children.length ? walk(c) : c.textContent)).join(' ');
          return walk(document.body).replace(/\s+/g, ' ');
        }));
      }
    });
    keyFileA = await createAccount(pageA, stack.url, 'Alice');
    await createAccount(pageB, stack.url, 'bob');
    expect(JSON.parse(keyFileA).format).toBe('messagehub-keyfile');

    await pageA.getByTestId('start-username').fill('bob');
    await pageA.getByTestId('start-conversation').click();
    await pageA.getByTestId('composer-input').waitFor();
    await send(pageA, 'hello bob');
    await expect.poll(() => message(pageA, 'hello bob').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/sent|delivered/);

    await openConversationWith(pageB, 'alice');
    await message(pageB, 'hello bob').waitFor({ timeout: 15_000 });
    await send(pageB, 'hi alice');
    await message(pageA, 'hi alice').waitFor({ timeout: 15_000 });
    // Bob read it live, so his signed receipt turns Alice's message "delivered".
    await expect.poll(() => message(pageA, 'hello bob').getAttribute('data-state'), { timeout: 15_000 }).toBe('delivered');

    // Both see the same safety number.
    await pageA.getByTestId('open-safety-number').click();
    await pageB.getByTestId('open-safety-number').click();
    const digitsA = await pageA.getByTestId('safety-number').getAttribute('data-digits');
    await expect.poll(() => pageB.getByTestId('safety-number').getAttribute('data-digits')).toBe(digitsA);
    expect(digitsA).toMatch(/^\d{60}$/);
    await pageA.getByTestId('contact-back').click();
    await pageB.getByTestId('contact-back').click();
    expect(errors).toEqual([]);
  });

  it('keeps messages written offline queued across a reload and delivers them once when back online', async () => {
    await ctxB.setOffline(true);
    for (const t of ['offline one', 'offline two', 'offline three']) await send(pageB, t);
    for (const t of ['offline one', 'offline two', 'offline three']) {
      await expect.poll(() => message(pageB, t).getAttribute('data-state')).toBe('queued');
    }
    await pageB.reload();
    await openConversationWith(pageB, 'alice');
    for (const t of ['offline one', 'offline two', 'offline three']) {
      await expect.poll(() => message(pageB, t).getAttribute('data-state'), { timeout: 10_000 }).toBe('queued');
    }
    await ctxB.setOffline(false);
    for (const t of ['offline one', 'offline two', 'offline three']) await message(pageA, t).waitFor({ timeout: 30_000 });
    const bodies = await pageA.getByTestId('message-body').allTextContents();
    const mine = bodies.filter((b) => b.startsWith('offline '));
    expect(mine).toEqual(['offline one', 'offline two', 'offline three']);
    await expect.poll(() => message(pageB, 'offline three').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/sent|delivered/);
  });

  it('restores Alice on a new device from her key file and keeps chatting', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-keyfile-'));
    const file = path.join(dir, 'alice.keyfile.json');
    await writeFile(file, keyFileA);
    const ctxC = await browser.newContext();
    try {
      const pageC = await ctxC.newPage();
      await pageC.goto(stack.url);
      await pageC.getByTestId('go-restore').click();
      await pageC.getByTestId('restore-keyfile').setInputFiles(file);
      await pageC.getByTestId('restore-passphrase').fill('not the passphrase');
      await pageC.getByTestId('restore-submit').click();
      await expect.poll(() => pageC.getByTestId('restore-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('wrong-passphrase');

      await pageC.getByTestId('restore-passphrase').fill(PASS);
      await pageC.getByTestId('restore-submit').click();
      await pageC.getByTestId('restore-summary').waitFor({ timeout: 60_000 });
      expect(await pageC.getByTestId('restore-conversations').textContent()).toBe('1');
      expect(await pageC.getByTestId('restore-messages').textContent()).toBe('5');
      await pageC.getByTestId('restore-continue').click();
      await pageC.getByTestId('conversation-item').first().waitFor();
      expect(await pageC.getByTestId('unread-count').count()).toBe(0);
      await openConversationWith(pageC, 'bob');
      await message(pageC, 'offline three').waitFor();
      await send(pageC, 'alice on a new device');
      await message(pageB, 'alice on a new device').waitFor({ timeout: 15_000 });
      // Bob's view has no integrity warning: the restored device continued Alice's signed chain.
      expect(await pageB.getByTestId('integrity-warning').count()).toBe(0);

      // "Forget this device" leaves nothing behind: no database, no caches, back to onboarding.
      await pageC.getByTestId('open-settings').click();
      await pageC.getByTestId('forget-device').click();
      await pageC.getByTestId('forget-confirm').click();
      await pageC.getByTestId('onboarding-username').waitFor({ timeout: 15_000 });
      // The fresh app opens a new, empty database: every store of it must be empty.
      const rows = await pageC.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const req = indexedDB.open('messagehub');
            req.onerror = () => reject(req.error);
            req.onsuccess = () => {
              const db = req.result;
              const names = Array.from(db.objectStoreNames);
              if (names.length === 0) return resolve(0);
              const tx = db.transaction(names);
              let total = 0;
              let pending = names.length;
              for (const n of names) {
                const c = tx.objectStore(n).count();
                c.onsuccess = () => {
                  total += c.result;
                  if (--pending === 0) resolve(total);
                };
              }
            };
          }),
      );
      expect(rows).toBe(0);
    } finally {
      await ctxC.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
