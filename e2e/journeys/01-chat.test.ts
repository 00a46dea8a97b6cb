// Journey 1 — Chat: A and B create accounts, start a conversation (a message request on B's
// side, which B accepts), see the same safety number and exchange messages in real time both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  acceptRequestFrom, conversationItem, createAccount, message, openConversationWith, requestItem, send, startConversation, stateOf,
} from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

describe('journey 1: chat', () => {
  let people: TwoPeople;
  let pageA: Page;
  let pageB: Page;

  beforeAll(async () => {
    people = await twoPeople({ accounts: false });
    ({ ada: { page: pageA }, bea: { page: pageB } } = people);
  });

  afterAll(async () => people?.close());

  it('A and B create accounts, start a conversation, compare safety numbers and chat live both ways', async () => {
    // Names typed with capitals are stored in lower case.
    const keyFile = await createAccount(pageA, people.stack.url, 'Ada', people.ada.passphrase);
    await createAccount(pageB, people.stack.url, 'Bea', people.bea.passphrase);
    // The download is a key file, in its own format.
    expect(JSON.parse(keyFile).format).toBe('messagehub-keyfile');

    // A starts the conversation by user name; it appears on B's side by itself (live).
    await startConversation(pageA, 'bea');
    await expect.poll(() => pageA.getByTestId('conversation-title').textContent()).toBe('bea');
    // B never talked to A, so it arrives as a message request (THREATS L3): apart from the
    // conversations, with no unread badge, and B accepts it.
    await requestItem(pageB, 'ada').waitFor({ timeout: 20_000 });
    expect(await conversationItem(pageB, 'ada').count()).toBe(0);
    expect(await requestItem(pageB, 'ada').getByTestId('unread-count').count()).toBe(0);
    await acceptRequestFrom(pageB, 'ada');
    await pageB.getByTestId('back-to-list').click();
    await conversationItem(pageB, 'ada').waitFor();
    expect(await requestItem(pageB, 'ada').count()).toBe(0);
    await openConversationWith(pageB, 'ada');

    // Both see the same 60-digit safety number for the pair.
    await pageA.getByTestId('open-safety-number').click();
    await pageB.getByTestId('open-safety-number').click();
    await expect.poll(() => pageA.getByTestId('safety-number').getAttribute('data-digits')).toMatch(/^\d{60}$/);
    const digitsA = await pageA.getByTestId('safety-number').getAttribute('data-digits');
    await expect.poll(() => pageB.getByTestId('safety-number').getAttribute('data-digits')).toBe(digitsA);
    // And it is shown as digits (12 groups of 5) and a QR code.
    expect((await pageA.getByTestId('safety-number').locator('li').allTextContents()).join('')).toBe(digitsA);
    await pageA.getByTestId('contact-back').click();
    await pageB.getByTestId('contact-back').click();

    // Real time both ways: no reload, each message shows up on the other side.
    const lines: [Page, Page, string][] = [
      [pageA, pageB, 'Hi Bea, this is Ada.'],
      [pageB, pageA, 'Hello Ada! Bea here.'],
      [pageA, pageB, 'Lunch at noon?'],
      [pageB, pageA, 'Noon works. See you.'],
    ];
    for (const [from, to, text] of lines) {
      // Arrives without a reload (pushed over the WebSocket); how fast is the benchmark's business.
      await send(from, text);
      await message(to, text).waitFor({ timeout: 30_000 });
    }
    // Each side shows the whole exchange once, in order.
    const expected = lines.map((l) => l[2]);
    await expect.poll(() => pageA.getByTestId('message-body').allTextContents()).toEqual(expected);
    await expect.poll(() => pageB.getByTestId('message-body').allTextContents()).toEqual(expected);
    // The other side read them live: their signed receipts turn A's and B's messages "delivered".
    for (const [from, , text] of lines) await expect.poll(() => stateOf(from, text), { timeout: 15_000 }).toBe('delivered');
    // Nothing was flagged.
    expect(await pageA.getByTestId('integrity-warning').count()).toBe(0);
    expect(await pageB.getByTestId('integrity-warning').count()).toBe(0);
    expect(people.errors).toEqual([]);
  });
});
