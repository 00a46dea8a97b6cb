// Journey 3 — Server down: the service stops while B's browser is online; B sends; the
// message waits queued; the service comes back; it arrives exactly once (in A's view and
// in the database), though both the page and Background Sync try to send it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Stack } from '../support/stack.ts';
import { dispatchSync, message, send, stateOf } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

describe('journey 3: server down', () => {
  let people: TwoPeople;
  let stack: Stack;
  let pageA: Page;
  let pageB: Page;

  beforeAll(async () => {
    people = await twoPeople({ conversation: true });
    ({ stack, ada: { page: pageA }, bea: { page: pageB } } = people);
    await send(pageA, 'are you there?');
    await message(pageB, 'are you there?').waitFor({ timeout: 10_000 });
  });

  afterAll(async () => people?.close());

  it('keeps a message queued while the service is down and delivers it exactly once after a restart', async () => {
    await stack.stopService();
    const text = 'sent while the server was down';
    await send(pageB, text);
    const clientMessageId = await message(pageB, text).getAttribute('data-message-id');
    expect(clientMessageId).toMatch(/^[0-9a-f-]{36}$/);
    // The browser is online, the server is not: the page retries with backoff, and the message stays queued.
    expect(await pageB.evaluate(() => navigator.onLine)).toBe(true);
    await pageB.waitForTimeout(3_000);
    expect(await stateOf(pageB, text)).toBe('queued');
    await expect.poll(() => pageB.getByTestId('connection-status').textContent()).not.toBe('Online');
    const count = async () =>
      Number((await stack.database.query<{ n: string }>('SELECT count(*) AS n FROM log_entries WHERE client_id = $1', [clientMessageId])).rows[0]!.n);
    expect(await count()).toBe(0);

    await stack.startServiceAgain();
    // Chromium would back off Background Sync for minutes: fire it now, twice, while the
    // page's own retry runs too. Client ids make the extra sends harmless.
    await dispatchSync(pageB, stack.url);
    await dispatchSync(pageB, stack.url);
    await message(pageA, text).waitFor({ timeout: 30_000 });
    await expect.poll(() => stateOf(pageB, text), { timeout: 30_000 }).toMatch(/^(sent|delivered)$/);
    // Give any late duplicate a chance to show, then check: once in the database, once on screen.
    await pageB.waitForTimeout(2_000);
    expect(await count()).toBe(1);
    expect(await message(pageA, text).count()).toBe(1);
    expect(await message(pageB, text).count()).toBe(1);
    await expect.poll(() => pageA.getByTestId('connection-status').textContent(), { timeout: 30_000 }).toBe('Online');
    expect(await pageA.getByTestId('integrity-warning').count()).toBe(0);
    expect(people.errors).toEqual([]);
  });
});
