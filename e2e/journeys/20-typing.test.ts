// Journey 20 — Typing indicators (issue 16, protocol SPEC §8c): ada types and bea sees
// "ada is typing…"; ada sends and it is gone, the message shown; ada types and stops, and it
// goes by itself (expiry, no stop); bea turns "Send and show typing indicators" off: she sends
// none and shows none. Signed by the device, sealed under the epoch key, relayed by the
// service over the socket and stored nowhere. Real Chromium, ada at a desk and bea on a phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { axeClean, DESKTOP, message, PHONE, SCREENSHOT_DIR, screenshotBoth, send, setSettingsSwitch } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

// Screens change after sealing and a round trip through the service: each poll gets twenty seconds.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

describe('journey 20: typing indicators', () => {
  let people: TwoPeople;
  let pageA: Page;
  let pageB: Page;

  const indicator = (page: Page) => page.getByTestId('typing-indicator');
  const typers = (page: Page) => indicator(page).getAttribute('data-typers');
  const counter = async (page: Page, name: 'sent' | 'accepted' | 'ignored') => Number(await indicator(page).getAttribute(`data-${name}`));
  const composer = (page: Page) => page.getByTestId('composer-input');

  const setTyping = (page: Page, on: boolean, back: string) => setSettingsSwitch(page, 'typing-indicators', on, back);

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ ada: { viewport: DESKTOP }, bea: { viewport: PHONE, hasTouch: true, isMobile: true }, conversation: true });
    ({ ada: { page: pageA }, bea: { page: pageB } } = people);
    await send(pageA, 'Hi bea');
    await message(pageB, 'Hi bea').waitFor({ timeout: 20_000 });
  });

  afterAll(async () => people?.close());

  it('TYP8: ada types and bea sees "ada is typing…" in a polite status region; screenshots and axe with it shown', async () => {
    await composer(pageA).pressSequentially('Are you free', { delay: 20 });
    await poll(() => typers(pageB)).toBe('ada');
    const region = indicator(pageB);
    expect(await region.getAttribute('role')).toBe('status');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await region.textContent()).toContain('ada is typing…');
    // Ada keeps typing while the screenshots are taken (a start lasts showMs after the last one).
    let typing = true;
    const keepTyping = (async () => {
      while (typing) {
        await composer(pageA).press('.');
        await pageA.waitForTimeout(700);
      }
    })();
    try {
      await poll(() => typers(pageB)).toBe('ada');
      await screenshotBoth(pageB, '20-typing-light');
      await pageB.emulateMedia({ colorScheme: 'dark' });
      await screenshotBoth(pageB, '20-typing-dark');
      await pageB.emulateMedia({ colorScheme: 'light' });
      await poll(() => typers(pageB)).toBe('ada');
      await axeClean(pageB, 'conversation with "is typing"');
    } finally {
      typing = false;
      await keepTyping;
    }
    expect(await typers(pageA)).toBe('');
  });

  it('TYP8: ada sends: the indicator is gone and the message is shown', async () => {
    await composer(pageA).press('Enter');
    await poll(() => typers(pageB)).toBe('');
    await poll(async () => (await pageB.getByTestId('message-body').allTextContents()).some((t) => t.startsWith('Are you free'))).toBe(true);
    expect(await indicator(pageB).textContent()).not.toContain('typing');
  });

  it('TYP8: ada types and stops: the indicator goes by itself, with no stop signal', async () => {
    await composer(pageA).pressSequentially('Tomorrow', { delay: 20 });
    await poll(() => typers(pageB)).toBe('ada');
    const accepted = await counter(pageB, 'accepted');
    await poll(() => typers(pageB)).toBe('');
    // Nothing more arrived: it expired (a stop would have been one more accepted signal).
    expect(await counter(pageB, 'accepted')).toBe(accepted);
    await send(pageA, 'Tomorrow then');
    await message(pageB, 'Tomorrow then').waitFor({ timeout: 20_000 });
  });

  it('TYP8: bea turns the setting off: she sends none and shows none; on again, she shows them', async () => {
    await setTyping(pageB, false, 'ada');
    // Bea types: her device sends nothing.
    const beaSent = await counter(pageB, 'sent');
    const adaAccepted = await counter(pageA, 'accepted');
    await composer(pageB).pressSequentially('Sure', { delay: 20 });
    await pageB.getByTestId('composer-send').click();
    await message(pageA, 'Sure').waitFor({ timeout: 20_000 });
    expect(await counter(pageB, 'sent')).toBe(beaSent);
    expect(await counter(pageA, 'accepted')).toBe(adaAccepted);
    expect(await typers(pageA)).toBe('');
    // Ada types: the signal reaches bea's device, which does not show it.
    const ignored = await counter(pageB, 'ignored');
    await composer(pageA).pressSequentially('Great', { delay: 20 });
    await poll(() => counter(pageB, 'ignored')).toBeGreaterThan(ignored);
    expect(await typers(pageB)).toBe('');
    expect(await indicator(pageB).textContent()).not.toContain('typing');
    await composer(pageA).fill('');
    // On again: ada's typing shows.
    await setTyping(pageB, true, 'ada');
    await composer(pageA).pressSequentially('Great!', { delay: 20 });
    await poll(() => typers(pageB)).toBe('ada');
    expect(people.errors).toEqual([]);
  });
});
