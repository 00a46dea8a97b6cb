// Journey 21 — one tab at a time (session 9): ada opens MessageHub in a second tab. Two tabs
// sending and taking in entries for one device at once showed replays that were none, lost
// messages from a tab's view, and once told bea "the history was altered" (e2e/FINDINGS.md F18).
// Now the second tab says the app is open elsewhere and offers "Use it here"; taken over, the
// first tab stops (a draft typed there is kept) and says the same; closed, the other one starts
// by itself. Whatever ada
// sends, from whichever tab, reaches bea in order with no warning. Real Chromium, two tabs of
// one browser profile.
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR, axeClean, message, openConversationWith, screenshotBoth, send } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

describe('journey 21: one tab at a time', () => {
  let people: TwoPeople;
  let first: Page;
  let second: Page;
  let bea: Page;

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ conversation: true });
    ({ ada: { page: first }, bea: { page: bea } } = people);
    await send(first, 'from the first tab');
    await message(bea, 'from the first tab').waitFor({ timeout: 20_000 });
  });

  afterAll(async () => people?.close());

  it('a second tab says MessageHub is open elsewhere, runs nothing, and offers to use it here', async () => {
    second = await people.newPage(people.ada);
    await second.goto(people.stack.url);
    await second.getByTestId('open-elsewhere').waitFor({ timeout: 20_000 });
    expect(await second.getByTestId('open-elsewhere').textContent()).toContain('open in another tab or window');
    expect(await second.getByTestId('composer-input').count()).toBe(0);
    expect(await second.getByTestId('conversation-list').count()).toBe(0);
    await axeClean(second, 'the notice that MessageHub is open in another tab');
    await screenshotBoth(second, '21-open-elsewhere');
    // The first tab goes on as before.
    await send(first, 'still the first tab');
    await message(bea, 'still the first tab').waitFor({ timeout: 20_000 });
  });

  it('"Use it here" takes the device over: the first tab stops and says so, the second sends, and a draft typed in the first is kept', async () => {
    await first.getByTestId('composer-input').pressSequentially('half a thought', { delay: 10 });
    await second.getByTestId('use-here').click();
    await first.getByTestId('open-elsewhere').waitFor({ timeout: 20_000 });
    expect(await first.getByTestId('composer-input').count()).toBe(0);
    await openConversationWith(second, 'bea');
    await poll(() => second.getByTestId('composer-input').inputValue()).toBe('half a thought');
    await second.getByTestId('composer-input').fill('');
    await send(second, 'from the second tab');
    await message(bea, 'from the second tab').waitFor({ timeout: 20_000 });
  });

  it('closing the tab that has it: the other one starts by itself, and sends in order', async () => {
    await second.close();
    await first.getByTestId('conversation-list').waitFor({ timeout: 20_000 });
    await openConversationWith(first, 'bea');
    await send(first, 'the first tab again');
    await message(bea, 'the first tab again').waitFor({ timeout: 20_000 });
    await message(first, 'from the second tab').waitFor({ timeout: 20_000 });
    // In order, and nothing said to be altered, replayed or missing, on either side.
    const order = ['from the first tab', 'still the first tab', 'from the second tab', 'the first tab again'];
    await poll(async () => (await bea.getByTestId('message-body').allTextContents()).filter((b) => order.includes(b))).toEqual(order);
    expect(await bea.getByTestId('integrity-warning').allTextContents()).toEqual([]);
    expect(await first.getByTestId('integrity-warning').allTextContents()).toEqual([]);
    // The tab that stopped (its storage closed under it) threw nothing uncaught.
    expect(people.errors).toEqual([]);
  });
});
