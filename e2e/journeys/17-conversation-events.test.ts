// Journey 17 — Conversation events (issue 16, protocol §8a): read receipts (and the setting
// that turns them off both ways), a reply with its quote, reactions, edit and delete for
// everyone, each a signed, encrypted message, in real Chromium between ada and bea. Then cyd,
// a member seeded in Node, signs an edit of ada's message: it is a valid message from cyd,
// and it changes nothing (EVT6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { envelopeHash, sealMessage, type Envelope } from '../../protocol/src/index.ts';
import { message, NodeClient, openConversationWith, SCREENSHOT_DIR, screenshotBoth, send, until, axeClean, PHONE, DESKTOP, setSettingsSwitch } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

// Screens change after IndexedDB reads and sealing: each poll gets twenty seconds, not vitest's one.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

describe('journey 17: conversation events', () => {
  let people: TwoPeople;
  let pageA: Page;
  let pageB: Page;

  /** The little "Read" under one of the viewer's own messages ('' when there is none). */
  const readMark = async (page: Page, text: string) => {
    const mark = message(page, text).getByTestId('message-read');
    return (await mark.count()) ? ((await mark.textContent()) ?? '') : '';
  };
  const openActions = async (page: Page, text: string) => {
    const bubble = message(page, text);
    await bubble.getByTestId('message-actions').click();
    return bubble;
  };
  const setReadReceipts = (page: Page, on: boolean, back: string) => setSettingsSwitch(page, 'read-receipts', on, back);

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    // ada at her desk with a mouse; bea on a phone, by touch (and a keyboard for one reply).
    people = await twoPeople({ ada: { viewport: DESKTOP }, bea: { viewport: PHONE, hasTouch: true, isMobile: true }, conversation: true });
    ({ ada: { page: pageA }, bea: { page: pageB } } = people);
    await send(pageA, 'Lunch at noon?');
    await message(pageB, 'Lunch at noon?').waitFor({ timeout: 20_000 });
  });

  afterAll(async () => people?.close());

  it('EVT2: bea has the conversation open, so ada sees "Read"; turned off, bea sends none and shows none, both ways', async () => {
    await poll(() => readMark(pageA, 'Lunch at noon?')).toBe('Read');
    await setReadReceipts(pageB, false, 'ada');
    await send(pageA, 'Are you there?');
    await message(pageB, 'Are you there?').waitFor({ timeout: 20_000 });
    // Anything bea's device would have sealed on seeing it comes before her next message in her
    // chain: once ada has that message, she has everything before it.
    await send(pageB, 'Yes, here');
    await message(pageA, 'Yes, here').waitFor({ timeout: 20_000 });
    await poll(() => message(pageA, 'Are you there?').getAttribute('data-state')).toBe('delivered');
    expect(await readMark(pageA, 'Are you there?')).toBe('');
    // ada's device still sends read receipts: hers for "Yes, here" comes before her next message.
    await send(pageA, 'Good');
    await message(pageB, 'Good').waitFor({ timeout: 20_000 });
    expect(await readMark(pageB, 'Yes, here')).toBe('');
    // The receipt was there all along: turned on again, bea sees it (and sends hers).
    await setReadReceipts(pageB, true, 'ada');
    await poll(() => readMark(pageB, 'Yes, here')).toBe('Read');
    await poll(() => readMark(pageA, 'Are you there?')).toBe('Read');
  });

  it('EVT1 EVT3: bea replies to a message by keyboard; both sides show the quote', async () => {
    const bubble = message(pageB, 'Lunch at noon?');
    await bubble.getByTestId('message-actions').press('Enter');
    await bubble.getByTestId('reply').press('Enter');
    await poll(() => pageB.getByTestId('replying').textContent()).toContain('Lunch at noon?');
    await pageB.getByTestId('composer-input').fill('Noon works');
    await pageB.getByTestId('composer-input').press('Enter');
    for (const page of [pageB, pageA]) {
      await message(page, 'Noon works').waitFor({ timeout: 20_000 });
      // ada's own message quoted reads "You" to her (session 9: it said "ada").
      await poll(() => message(page, 'Noon works').getByTestId('quote').textContent()).toBe(`${page === pageA ? 'You' : 'ada'}Lunch at noon?`);
    }
  });

  it('EVT5: ada reacts, changes her reaction, and bea (by touch, at phone size) sees one reaction per person', async () => {
    let bubble = await openActions(pageA, 'Noon works');
    await bubble.locator('[data-testid="react"][data-emoji="👍"]').click();
    await poll(() => message(pageB, 'Noon works').getByTestId('reaction').allTextContents()).toEqual(['👍 1']);
    bubble = await openActions(pageA, 'Noon works');
    await bubble.locator('[data-testid="react"][data-emoji="🙏"]').click();
    await poll(() => message(pageB, 'Noon works').getByTestId('reaction').allTextContents()).toEqual(['🙏 1']);
    // bea joins in by tapping the chip on her phone: two people, one count.
    await message(pageB, 'Noon works').getByTestId('reaction').tap();
    await poll(() => message(pageA, 'Noon works').getByTestId('reaction').allTextContents()).toEqual(['🙏 2']);
    expect(await message(pageA, 'Noon works').getByTestId('reaction').getAttribute('aria-pressed')).toBe('true');
  });

  it('EVT6: ada edits her message and deletes another: both sides show "edited" and "This message was deleted"', async () => {
    // A half-typed message waits while ada edits, and comes back after (an edit is not a draft).
    await pageA.getByTestId('composer-input').fill('half-typed');
    const bubble = await openActions(pageA, 'Lunch at noon?');
    await bubble.getByTestId('edit').click();
    await poll(() => pageA.getByTestId('composer-input').inputValue()).toBe('Lunch at noon?');
    // Emptied, the edit is not sent and says how to remove a message instead.
    await pageA.getByTestId('composer-input').fill('  ');
    await pageA.getByTestId('composer-send').click();
    await poll(() => pageA.getByTestId('composer-error').textContent()).toContain('Delete for everyone');
    await pageA.getByTestId('composer-input').fill('Lunch at one?');
    await pageA.getByTestId('composer-send').click();
    for (const page of [pageA, pageB]) {
      await poll(() => message(page, 'Lunch at one?').getByTestId('message-edited').count()).toBe(1);
      // The reply quotes the message as it reads now.
      await poll(() => message(page, 'Noon works').getByTestId('quote').textContent()).toBe(`${page === pageA ? 'You' : 'ada'}Lunch at one?`);
    }
    expect(await message(pageB, 'Lunch at noon?').count()).toBe(0);
    await poll(() => pageA.getByTestId('composer-input').inputValue()).toBe('half-typed');
    await pageA.getByTestId('composer-input').fill('');
    const gone = await openActions(pageA, 'Good');
    await gone.getByTestId('delete').click();
    await axeClean(pageA, 'message actions with the delete confirmation');
    await screenshotBoth(pageA, '17-message-actions');
    await gone.getByTestId('delete-confirm').click();
    for (const page of [pageA, pageB]) {
      await poll(() => message(page, 'Good').count()).toBe(0);
      await poll(() => page.getByTestId('message-deleted').count()).toBe(1);
    }
    await axeClean(pageB, 'conversation with a reply, reactions, an edit and a delete');
    for (const [page, who] of [[pageA, 'ada'], [pageB, 'bea']] as const) {
      await screenshotBoth(page, `17-conversation-events-${who}`);
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshotBoth(page, `17-conversation-events-${who}-dark`);
      await page.emulateMedia({ colorScheme: 'light' });
    }
    // At phone size (bea) the header keeps the name on one row: its actions wait behind "⋯".
    const more = pageB.getByTestId('conversation-more');
    expect(await pageB.getByTestId('mute-toggle').isVisible()).toBe(false);
    expect(await more.getAttribute('aria-expanded')).toBe('false');
    await more.click();
    expect(await more.getAttribute('aria-expanded')).toBe('true');
    await pageB.getByTestId('mute-toggle').waitFor({ state: 'visible' });
    await axeClean(pageB, 'the conversation options open at phone size');
    await pageB.screenshot({ path: `${SCREENSHOT_DIR}17-conversation-options-phone.png` });
    await pageB.getByTestId('toggle-pin').click();
    await poll(() => pageB.getByTestId('toggle-pin').getAttribute('aria-pressed')).toBe('true');
    expect(await more.getAttribute('aria-expanded')).toBe('false');
    await more.click();
    await pageB.getByTestId('toggle-pin').click();
    await poll(() => pageB.getByTestId('toggle-pin').getAttribute('aria-pressed')).toBe('false');
    // At desktop size (ada) every action is in the header and there is no "⋯".
    expect(await pageA.getByTestId('mute-toggle').isVisible()).toBe(true);
    expect(await pageA.getByTestId('conversation-more').isVisible()).toBe(false);
    await pageB.getByTestId('open-settings').click();
    await pageB.getByTestId('read-receipts').waitFor();
    await axeClean(pageB, 'settings with the read receipts switch');
    await screenshotBoth(pageB, '17-settings-read-receipts');
    await pageB.getByTestId('settings-back').click();
  });

  it('EVT6: an edit of ada\'s message signed by another member (cyd) is a valid message and changes nothing', async () => {
    const cyd = await NodeClient.register(people.stack.url, 'cyd', 'carol');
    const conv = await cyd.createConversation(['ada']);
    await openConversationWith(pageA, 'cyd');
    await send(pageA, 'I will bring the salad');
    // cyd reads ada's envelope from the log and names it exactly (id and hash, EVT3).
    let env: Envelope | undefined;
    await until(async () => {
      const page = await cyd.api.log(conv.conversationId, 0);
      env = page.entries.map((e) => e.body as Envelope).find((b) => b?.sender === 'ada');
      return env !== undefined;
    }, 'ada\'s message in the log', 20_000);
    const target = { id: env!.clientMessageId, hash: await envelopeHash(env!) };
    const forged = await sealMessage({
      conversationId: conv.conversationId, epoch: 0, epochKey: conv.key, sender: cyd.identity, clientMessageId: crypto.randomUUID(),
      counter: 1, prevHash: null, plaintext: { type: 'edit', body: 'I will bring nothing', composedAt: Date.now(), target },
    });
    const marker = await sealMessage({
      conversationId: conv.conversationId, epoch: 0, epochKey: conv.key, sender: cyd.identity, clientMessageId: crypto.randomUUID(),
      counter: 2, prevHash: await envelopeHash(forged), plaintext: { type: 'text', body: 'after my edit', composedAt: Date.now() },
    });
    await cyd.sendBatch([forged, marker]);
    await message(pageA, 'after my edit').waitFor({ timeout: 20_000 });
    expect(await message(pageA, 'I will bring the salad').getByTestId('message-edited').count()).toBe(0);
    expect(await message(pageA, 'I will bring nothing').count()).toBe(0);
    expect(await pageA.getByTestId('integrity-warning').count()).toBe(0);
    expect(people.errors).toEqual([]);
  });
});
