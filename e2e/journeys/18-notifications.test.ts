// Journey 18 — Notifications (issue 16; SPEC NOTE1..NOTE3), in real Chromium: bea turns
// notifications on in Settings; while her app is hidden a message from ada puts "(1)" in her
// title and raises a notification that says only "New message"; reading clears the count;
// a muted conversation counts for nothing; a Web Push delivered to her service worker
// through the DevTools protocol (ServiceWorker.deliverPushMessage) shows a content-free
// notification. The browser vendor's push service itself cannot be reached here (README).
//
// Headless Chromium reports every page visible whatever is in front (bringToFront, focus
// emulation and a minimised window were tried), so "hidden" is the page's own
// document.visibilityState turned to 'hidden' with a visibilitychange event, which is what
// the app reads; the notifications are real ones, read back with getNotifications().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { message, SCREENSHOT_DIR, screenshotBoth, send, serviceWorkerCdp, until, axeClean, DESKTOP } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

interface Shown { title: string; body: string; tag: string; data: unknown }

/** The notifications the app's service worker registration shows now. */
const notifications = (page: Page): Promise<Shown[]> =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown }));
  });

const closeNotifications = (page: Page) =>
  page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });

/** The page as the app sees it when the user switched away (see the header), and back. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    if (h) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete (document as { visibilityState?: unknown }).visibilityState;
      delete (document as { hidden?: unknown }).hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

describe('journey 18: notifications', () => {
  let people: TwoPeople;
  let pageA: Page;
  let pageB: Page;
  let url: string;

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ conversation: true, ada: { viewport: DESKTOP }, bea: { viewport: DESKTOP } });
    ({ ada: { page: pageA }, bea: { page: pageB } } = people);
    url = people.stack.url;
    await people.bea.ctx.grantPermissions(['notifications'], { origin: url });
    await send(pageA, 'Hello Bea');
    await message(pageB, 'Hello Bea').waitFor({ timeout: 20_000 });
  });
  afterAll(async () => {
    await people?.close();
  });

  it('Settings › Notifications: off by default, previews off, turned on from the button (phone and desktop, axe clean)', async () => {
    expect(await pageB.title()).toBe('MessageHub');
    await pageB.getByTestId('open-settings').click();
    const section = pageB.getByTestId('settings-notifications');
    await section.getByTestId('notify-enable').waitFor();
    expect(await section.getByTestId('notify-previews').isChecked()).toBe(false);
    await section.scrollIntoViewIfNeeded();
    await screenshotBoth(pageB, '18-settings-notifications-off');
    await axeClean(pageB, 'settings, notifications off');
    await section.getByTestId('notify-enable').click();
    await section.getByTestId('notify-disable').waitFor();
    // This service has no VAPID keys and headless Chromium no push service: said in plain words.
    const push = section.getByTestId('push-status');
    await push.waitFor();
    expect(['unavailable', 'subscribed']).toContain(await push.getAttribute('data-outcome'));
    await screenshotBoth(pageB, '18-settings-notifications-on');
    await axeClean(pageB, 'settings, notifications on');
    await pageB.getByTestId('settings-back').click();
    await pageB.getByTestId('conversation-item').first().click();
    await pageB.getByTestId('composer-input').waitFor();
  });

  it('NOTE2: while hidden, a new message puts (1) in the title and raises a notification with no sender and no text; reading clears the count', async () => {
    await closeNotifications(pageB);
    await setHidden(pageB, true);
    await send(pageA, 'Secret picnic at noon');
    await poll(() => pageB.title()).toBe('(1) MessageHub');
    await poll(async () => (await notifications(pageB)).length).toBe(1);
    const [n] = await notifications(pageB);
    expect([n!.title, n!.body, n!.tag]).toEqual(['MessageHub', 'New message', 'messagehub-new']);
    expect(JSON.stringify(n)).not.toMatch(/picnic|Secret|ada/);
    // Back to the app, the conversation still open: read, and the count goes.
    await setHidden(pageB, false);
    await poll(() => pageB.title()).toBe('MessageHub');
  });

  it('NOTE3: a muted conversation counts for nothing and raises no notification; unmuted, its unread count is back', async () => {
    await closeNotifications(pageB);
    const mute = pageB.getByTestId('mute-toggle');
    await mute.click();
    await poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await screenshotBoth(pageB, '18-conversation-muted');
    await axeClean(pageB, 'conversation, muted');
    await setHidden(pageB, true);
    await send(pageA, 'While muted');
    await message(pageB, 'While muted').waitFor({ timeout: 20_000 });
    // The title is set before the screen changes: the message on screen means it was counted (as nothing).
    expect(await pageB.title()).toBe('MessageHub');
    expect(await notifications(pageB)).toEqual([]);
    await mute.click();
    await poll(() => mute.getAttribute('aria-pressed')).toBe('false');
    await poll(() => pageB.title()).toBe('(1) MessageHub');
    await setHidden(pageB, false);
    await poll(() => pageB.title()).toBe('MessageHub');
    // kept on the device: muted again, a reload still shows it muted
    await mute.click();
    await poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await pageB.reload();
    await poll(() => pageB.getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('true');
    await pageB.getByTestId('mute-toggle').click();
    await poll(() => pageB.getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('false');
  });

  it('NOTE1: a Web Push delivered to the service worker (CDP) shows "New messages" and nothing from the push, with the app closed', async () => {
    const { cdp, registrationId } = await serviceWorkerCdp(pageB);
    const id = await registrationId();
    await closeNotifications(pageB);
    // The app closed: no window of it at all (the worker stays registered).
    await pageB.goto('about:blank');
    const origin = new URL(url).origin;
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: id, data: JSON.stringify({ v: 1, type: 'new-messages' }) });
    // A push that tries to show something of its own is shown the same.
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: id, data: JSON.stringify({ v: 1, type: 'new-messages', body: 'FORGED TEXT from mallory' }) });
    await pageB.goto(url);
    await pageB.getByTestId('open-settings').waitFor({ timeout: 20_000 });
    let shown: Shown[] = [];
    await until(async () => (shown = await notifications(pageB)).length > 0, 'the push notification', 15_000);
    // One notification (the same tag: the second replaced the first), content-free.
    expect(shown.map((n) => [n.title, n.body, n.tag])).toEqual([['MessageHub', 'New messages', 'messagehub-new']]);
    expect(JSON.stringify(shown)).not.toMatch(/FORGED|mallory|ada/);
    await cdp.detach();
  });

  it('has no uncaught page errors', () => {
    expect(people.errors).toEqual([]);
  });
});
