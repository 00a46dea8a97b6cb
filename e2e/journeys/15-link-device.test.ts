// Journey 15 — linking a device by code (issue 12; protocol LINK1..LINK6), in real Chromium:
// ada's second device shows a code; on her first device she types it in Settings (a wrong
// code is refused in plain words, and nothing is sent); the second device asks for the key
// file's passphrase (a wrong one is told as such), restores her history, and then both
// devices send to bea at the same time, one of them offline for a while. Nobody sees a
// warning: two honest devices of one account never look like tampering (DEV6).
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR, message, openConversationWith, screenshotBoth, send, until, axeViolations } from '../support/journeys.ts';
import { PASSPHRASES, twoPeople, type TwoPeople } from '../support/people.ts';

const axe = axeViolations;

async function warnings(page: Page): Promise<number> {
  return page.getByTestId('integrity-warning').count();
}

describe('journey 15: link a device by code, then two devices send at once', () => {
  let people: TwoPeople;
  let second: { page: Page; ctx: import('playwright-core').BrowserContext };

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ conversation: true });
  });

  afterAll(async () => people?.close());

  it('the new device shows a code; a wrong code is refused in plain words; the right one links it after the passphrase, with the history', async () => {
    const { ada, bea } = people;
    await send(ada.page, 'before linking');
    await message(bea.page, 'before linking').waitFor({ timeout: 20_000 });

    second = await people.newDevice();
    const phone = second.page;
    await phone.getByTestId('go-link').click();
    const shown = phone.getByTestId('link-code');
    await shown.waitFor({ timeout: 20_000 });
    const code = (await shown.getAttribute('data-code'))!;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(await shown.textContent()).toBe(`${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`);
    await phone.getByTestId('safety-qr').locator('path').waitFor({ state: 'attached' });
    expect(await axe(phone)).toEqual([]);
    await screenshotBoth(phone, '15-link-code');

    // On the first device: Settings > Link a new device.
    const laptop = ada.page;
    await laptop.getByTestId('open-settings').click();
    await laptop.getByTestId('link-new-device').waitFor({ timeout: 15_000 });
    expect(await laptop.getByTestId('device-list').count()).toBe(1); // no button for the loading list to push down
    await laptop.getByTestId('link-new-device').click();
    const input = laptop.getByTestId('link-code-input');
    await input.waitFor({ timeout: 15_000 });
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '15-link-type-code');

    // A mistyped check character: the slot exists, its key does not match; nothing is sent.
    const last = code[11] === '0' ? '1' : '0';
    await input.fill(code.slice(0, 11) + last);
    await laptop.getByTestId('link-send').click();
    const error = laptop.getByTestId('link-send-error');
    await error.waitFor({ timeout: 15_000 });
    expect(await error.getAttribute('data-code')).toBe('code-mismatch');
    expect(await error.textContent()).toMatch(/does not match the device waiting for it/);
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '15-link-wrong-code');
    // A code no device shows, and one too short.
    await input.fill('0000-0000-0000');
    await laptop.getByTestId('link-send').click();
    await until(async () => (await error.getAttribute('data-code')) === 'not-found', 'the unknown code to be refused');
    expect(await error.textContent()).toMatch(/No device is waiting with this code/);
    await input.fill('ABCD-EFGH');
    await laptop.getByTestId('link-send').click();
    await until(async () => (await error.getAttribute('data-code')) === 'malformed-code', 'the short code to be refused');
    expect(await error.textContent()).toMatch(/12 letters and digits/);

    // The right code, typed as people type it.
    await input.fill(`${code.slice(0, 4)} ${code.slice(4, 8)}-${code.slice(8)}`.toLowerCase());
    await laptop.getByTestId('link-send').click();
    await laptop.getByTestId('link-sent').waitFor({ timeout: 15_000 });

    // The new device: the account's name, then the passphrase (a wrong one first).
    await phone.getByTestId('restore-passphrase').waitFor({ timeout: 20_000 });
    expect(await phone.getByTestId('link-account').textContent()).toMatch(/\bada\b/);
    expect(await axe(phone)).toEqual([]);
    await screenshotBoth(phone, '15-link-passphrase');
    await phone.getByTestId('restore-passphrase').fill('not the passphrase at all');
    await phone.getByTestId('restore-submit').click();
    const phoneError = phone.getByTestId('restore-error');
    await phoneError.waitFor({ timeout: 60_000 });
    expect(await phoneError.getAttribute('data-code')).toBe('wrong-passphrase');
    expect(await phoneError.textContent()).toMatch(/^Wrong passphrase\./);
    await phone.getByTestId('restore-passphrase').fill(PASSPHRASES.ada);
    await phone.getByTestId('restore-submit').click();
    await phone.getByTestId('restore-continue').waitFor({ timeout: 60_000 });
    expect((await phone.getByTestId('restore-summary').textContent())!.replace(/\s+/g, ' ')).toMatch(/Recovered 1 conversation and 1 message\. Nothing failed\./);
    expect(await axe(phone)).toEqual([]);
    await screenshotBoth(phone, '15-link-done');
    await phone.getByTestId('restore-continue').click();
    await openConversationWith(phone, 'bea');
    await message(phone, 'before linking').waitFor({ timeout: 20_000 });

    // Settings on the first device now lists two devices.
    await laptop.getByTestId('settings-back').click();
    expect(people.errors).toEqual([]);
  });

  it('both devices send to bea at once, one offline in between, and no warning shows anywhere', async () => {
    const { ada, bea } = people;
    const laptop = ada.page;
    const phone = second.page;
    await openConversationWith(laptop, 'bea');
    // At the same moment, both online.
    await Promise.all([send(laptop, 'laptop 1'), send(phone, 'phone 1')]);
    // The phone goes offline and keeps writing; the laptop writes too.
    await second.ctx.setOffline(true);
    await send(phone, 'phone 2 (offline)');
    await send(laptop, 'laptop 2');
    await send(phone, 'phone 3 (offline)');
    await send(laptop, 'laptop 3');
    await second.ctx.setOffline(false);
    await send(bea.page, 'bea replies');
    const all = ['before linking', 'laptop 1', 'phone 1', 'phone 2 (offline)', 'laptop 2', 'phone 3 (offline)', 'laptop 3', 'bea replies'];
    for (const page of [bea.page, laptop, phone]) {
      for (const text of all) await message(page, text).first().waitFor({ timeout: 40_000 });
    }
    for (const page of [bea.page, laptop, phone]) expect(await warnings(page)).toBe(0);
    // And after a reload (everything read again from storage and the log).
    await bea.page.reload();
    await openConversationWith(bea.page, 'ada');
    for (const text of all) await message(bea.page, text).first().waitFor({ timeout: 20_000 });
    expect(await warnings(bea.page)).toBe(0);
    await screenshotBoth(bea.page, '15-two-devices-no-warning');
    // The linked device made its own device key, certified by the account key (DEV1, DEV2):
    // the service lists two certificates of ada's, for two device ids.
    const deviceIds = await phone.evaluate(async () => {
      const token = await new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('messagehub');
        open.onsuccess = () => {
          const get = open.result.transaction('session').objectStore('session').get('current');
          get.onsuccess = () => resolve((get.result as { token: string }).token);
          get.onerror = () => reject(get.error);
        };
        open.onerror = () => reject(open.error);
      });
      const res = await fetch('/api/v1/users/ada/devices', { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { certificates: { deviceId: string }[] }).certificates.map((c) => c.deviceId);
    });
    expect(new Set(deviceIds).size).toBe(2);
    expect(people.errors).toEqual([]);
  });
});
