// Journey 2 — Offline compose: messages written with no network are sealed at once, shown
// queued, survive a reload served by the service worker, and are delivered exactly once,
// in order, with their compose times, when the network returns: by Background Sync (B,
// with the page closed, so only the service worker can send) and by the page's own
// fallback (A, whose browser has no Background Sync).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { bodies, message, openConversationWith, send, stateOf } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

interface Composed { text: string; before: number; after: number }

async function composeOffline(page: Page, texts: string[]): Promise<Composed[]> {
  const out: Composed[] = [];
  for (const text of texts) {
    const before = Date.now();
    await send(page, text);
    out.push({ text, before, after: Date.now() });
    await page.waitForTimeout(20); // distinct compose times
  }
  for (const t of texts) expect(await stateOf(page, t)).toBe('queued');
  return out;
}

/** The receiver shows each text exactly once, in compose order, with its compose time. */
async function expectDelivered(receiver: Page, composed: Composed[]): Promise<void> {
  for (const c of composed) await message(receiver, c.text).waitFor({ timeout: 30_000 });
  const texts = composed.map((c) => c.text);
  const shown = (await bodies(receiver)).filter((b) => texts.includes(b));
  expect(shown).toEqual(texts);
  for (const c of composed) {
    const el = message(receiver, c.text);
    expect(await el.count()).toBe(1);
    const at = Number(await el.getAttribute('data-composed-at'));
    expect(at).toBeGreaterThanOrEqual(c.before);
    expect(at).toBeLessThanOrEqual(c.after);
    expect(await el.getByTestId('message-time').getAttribute('datetime')).toBe(new Date(at).toISOString());
  }
}

async function reloadOfflineFromServiceWorker(page: Page, other: string, texts: string[]): Promise<void> {
  const response = await page.reload();
  expect(response?.fromServiceWorker()).toBe(true);
  await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('Offline');
  await openConversationWith(page, other);
  for (const t of texts) await expect.poll(() => stateOf(page, t), { timeout: 10_000 }).toBe('queued');
  expect((await bodies(page)).filter((b) => texts.includes(b))).toEqual(texts);
}

describe('journey 2: offline compose', () => {
  let people: TwoPeople;
  let ctxA: BrowserContext;
  let ctxB: BrowserContext;
  let pageA: Page;
  let pageB: Page;

  beforeAll(async () => {
    // A's browser has no Background Sync at all: no permission, no SyncManager.
    people = await twoPeople({ ada: { backgroundSync: false }, conversation: true });
    ({ ada: { ctx: ctxA, page: pageA }, bea: { ctx: ctxB, page: pageB } } = people);
    await send(pageA, 'ready when you are');
    await message(pageB, 'ready when you are').waitFor({ timeout: 10_000 });
  });

  afterAll(async () => people?.close());

  it('delivers offline messages by Background Sync, and by the page where Background Sync is missing', async () => {
    // --- Background Sync (B) -----------------------------------------------------------
    expect(await pageB.evaluate(() => 'SyncManager' in window)).toBe(true);
    expect(await pageB.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready))).toBe(true);
    await ctxB.setOffline(true);
    const fromB = await composeOffline(pageB, ['bg one: written offline', 'bg two: still offline', 'bg three: last one']);
    await reloadOfflineFromServiceWorker(pageB, 'ada', fromB.map((c) => c.text));
    // Close B's page: only the service worker can send now.
    await pageB.close();
    await ctxB.setOffline(false);
    await expectDelivered(pageA, fromB);
    // B's page, opened again, shows them sent (no double: the server has each once).
    pageB = await people.newPage(people.bea);
    await pageB.goto(people.stack.url);
    await openConversationWith(pageB, 'ada');
    for (const c of fromB) await expect.poll(() => stateOf(pageB, c.text), { timeout: 15_000 }).toMatch(/^(sent|delivered)$/);
    expect((await bodies(pageB)).filter((b) => b.startsWith('bg '))).toEqual(fromB.map((c) => c.text));

    // --- the page's fallback (A, no Background Sync) ----------------------------------------
    expect(await pageA.evaluate(() => 'SyncManager' in window || 'sync' in ServiceWorkerRegistration.prototype)).toBe(false);
    expect(await pageA.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready))).toBe(false);
    await ctxA.setOffline(true);
    const fromA = await composeOffline(pageA, ['fallback one', 'fallback two', 'fallback three']);
    await reloadOfflineFromServiceWorker(pageA, 'bea', fromA.map((c) => c.text));
    await ctxA.setOffline(false);
    await expectDelivered(pageB, fromA);
    for (const c of fromA) await expect.poll(() => stateOf(pageA, c.text), { timeout: 15_000 }).toMatch(/^(sent|delivered)$/);

    // The server holds every message once: 1 + 3 + 3 texts (plus receipts, also messages).
    const perClient = await people.stack.database.query<{ n: string }>(
      `SELECT count(*) AS n FROM log_entries WHERE kind = 'message' GROUP BY client_id HAVING count(*) > 1`,
    );
    expect(perClient.rowCount).toBe(0);
    expect(await pageA.getByTestId('integrity-warning').count()).toBe(0);
    expect(await pageB.getByTestId('integrity-warning').count()).toBe(0);
    expect(people.errors).toEqual([]);
  });
});
