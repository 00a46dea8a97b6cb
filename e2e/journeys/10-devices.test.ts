// Journey 10 — accounts and devices (issue 12, the app's part before per-device keys):
// the key-file step cannot be skipped without the explicit choice, and a user who made it
// is reminded until a key file is saved; Settings lists the account's devices after a
// restore on a second one and signs the other one out with a signed change (ACCT3); a new
// key file is made under a new passphrase; and the trust screen names the user id however
// the directory names the user (THREATS L10).
import { mkdir, readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importKeyFile, signRegistration, signRotation } from '../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../test/support/identities.ts';
import type { Stack } from '../support/stack.ts';
import {
  NodeClient, SCREENSHOT_DIR, conversationItem, openConversationWith, screenshotBoth, startConversation, submitRestore, until, axeViolations, storedToken,
} from '../support/journeys.ts';
import { PASSPHRASES, twoPeople, type TwoPeople } from '../support/people.ts';

const PASS_A = PASSPHRASES.ada;
const NEW_PASS_A = 'ada new passphrase: copper kites over quiet harbours';

const axe = axeViolations;

async function deviceCount(page: Page): Promise<number> {
  return page.getByTestId('device').count();
}

describe('journey 10: devices, the key file and trust screens', () => {
  let people: TwoPeople;
  let stack: Stack;
  let adaKeyFile = '';
  let beaKeyFile = '';

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ accounts: false });
    stack = people.stack;
  });

  afterAll(async () => people?.close());

  it('the key-file step needs the download, or the explicit choice to go on without one', async () => {
    const page = people.ada.page;
    await page.goto(stack.url);
    await page.getByTestId('onboarding-username').fill('ada');
    await page.getByTestId('onboarding-passphrase').fill(PASS_A);
    await page.getByTestId('onboarding-passphrase-confirm').fill(PASS_A);
    await page.getByTestId('onboarding-create').click();
    await page.getByTestId('download-keyfile').waitFor({ timeout: 60_000 });
    // Nothing downloaded: the confirmation cannot be ticked and Continue stays disabled.
    expect(await page.getByTestId('onboarding-continue').isDisabled()).toBe(true);
    expect(await page.getByTestId('keyfile-saved').isDisabled()).toBe(true);
    expect(await axe(page)).toEqual([]);
    await screenshotBoth(page, '10-save-key-file');
    // The explicit choice enables Continue; taking it back disables it again.
    await page.getByTestId('keyfile-skip').check();
    expect(await page.getByTestId('onboarding-continue').isEnabled()).toBe(true);
    await page.getByTestId('keyfile-skip').uncheck();
    expect(await page.getByTestId('onboarding-continue').isDisabled()).toBe(true);
    // Downloaded, then confirmed.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-keyfile').click()]);
    adaKeyFile = await readFile((await download.path())!, 'utf8');
    expect(await page.getByTestId('onboarding-continue').isDisabled()).toBe(true);
    await page.getByTestId('keyfile-saved').check();
    await page.getByTestId('onboarding-continue').click();
    await page.getByTestId('start-username').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('keyfile-reminder').count()).toBe(0);
  });

  it('reminds a user who went on without a key file, again after a restart, until it is downloaded', async () => {
    const page = people.bea.page;
    await page.goto(stack.url);
    // Typed with a capital: the user id is "bea" everywhere.
    await page.getByTestId('onboarding-username').fill('Bea');
    await page.getByTestId('onboarding-passphrase').fill(PASSPHRASES.bea);
    await page.getByTestId('onboarding-passphrase-confirm').fill(PASSPHRASES.bea);
    await page.getByTestId('onboarding-create').click();
    await page.getByTestId('download-keyfile').waitFor({ timeout: 60_000 });
    await page.getByTestId('keyfile-skip').check();
    await page.getByTestId('onboarding-continue').click();
    await page.getByTestId('start-username').waitFor({ timeout: 30_000 });
    await page.getByTestId('keyfile-reminder').waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshotBoth(page, '10-key-file-reminder');
    await page.getByTestId('reminder-dismiss').click();
    await until(async () => (await page.getByTestId('keyfile-reminder').count()) === 0, 'the reminder to go');
    await page.reload();
    await page.getByTestId('keyfile-reminder').waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('reminder-download').click()]);
    beaKeyFile = await readFile((await download.path())!, 'utf8');
    expect((await importKeyFile(beaKeyFile, PASSPHRASES.bea)).userId).toBe('bea');
    await until(async () => (await page.getByTestId('keyfile-reminder').count()) === 0, 'the reminder to go after the download');
    await page.reload();
    await page.getByTestId('start-username').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('keyfile-reminder').count()).toBe(0);
  });

  it('lists both devices after a restore, and signs the other one out with a signed change', async () => {
    const laptop = people.ada.page;
    const phone = await people.newDevice();
    await submitRestore(phone.page, adaKeyFile, PASS_A);
    await phone.page.getByTestId('restore-continue').waitFor({ timeout: 60_000 });
    await phone.page.getByTestId('restore-continue').click();
    await phone.page.getByTestId('start-username').waitFor({ timeout: 15_000 });
    const phoneToken = await storedToken(phone.page);
    expect(phoneToken).toBeTruthy();

    await laptop.getByTestId('open-settings').click();
    await laptop.getByTestId('device-list').waitFor({ timeout: 15_000 });
    await expect.poll(() => deviceCount(laptop)).toBe(2);
    const names = await laptop.getByTestId('device-name').allTextContents();
    // Named on each device from its browser, not one fixed name (Chromium on Linux here).
    for (const n of names) expect(n).toMatch(/^(Chrome|Chromium) on Linux$/);
    const current = laptop.locator('[data-testid="device"][data-current="true"]');
    expect(await current.count()).toBe(1);
    expect(await current.getByTestId('revoke-device').count()).toBe(0);
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '10-settings-devices');

    const other = laptop.locator('[data-testid="device"][data-current="false"]');
    await other.getByTestId('revoke-device').click();
    await other.getByTestId('revoke-confirm').waitFor();
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '10-settings-revoke-confirm');
    await other.getByTestId('revoke-confirm').click();
    await expect.poll(() => laptop.getByTestId('device-status').textContent()).toMatch(/was signed out/);
    await expect.poll(() => deviceCount(laptop)).toBe(1);

    // The phone's token is dead at the service.
    const res = await fetch(`${stack.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${phoneToken}` } });
    expect(res.status).toBe(401);

    // Known limit until per-device keys (issue 12's device model): the phone still holds the
    // account's keys, so its automatic re-login succeeds as soon as it notices the 401.
    await phone.page.reload();
    await until(async () => {
      const t = await storedToken(phone.page);
      return !!t && t !== phoneToken;
    }, 'the revoked device to log in again with its keys (expected until the device model)', 40_000);
    expect(people.errors).toEqual([]);
  });

  it('makes a new key file under a new passphrase; a wrong passphrase and another account’s file are told apart', async () => {
    const page = people.ada.page;
    await page.getByTestId('export-keyfile').waitFor();
    const fill = async (file: string, pass: string) => {
      await page.getByTestId('export-keyfile').setInputFiles({ name: 'messagehub-ada.keyfile.json', mimeType: 'application/json', buffer: Buffer.from(file) });
      await page.getByTestId('export-passphrase').fill(pass);
      await page.getByTestId('export-new-passphrase').fill(NEW_PASS_A);
      await page.getByTestId('export-new-passphrase-confirm').fill(NEW_PASS_A);
      await page.getByTestId('export-submit').click();
    };
    await fill(adaKeyFile, 'not my passphrase at all, sorry');
    await expect.poll(() => page.getByTestId('export-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('wrong-passphrase');
    expect(await axe(page)).toEqual([]);
    await screenshotBoth(page, '10-settings-key-file-error');
    await fill('{"hello":1}', PASS_A);
    await expect.poll(() => page.getByTestId('export-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('not-a-key-file');
    await fill(beaKeyFile, PASSPHRASES.bea);
    await expect.poll(() => page.getByTestId('export-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('other-account');
    expect(await page.getByTestId('export-error').textContent()).toContain('belongs to bea, not to ada');

    await fill(adaKeyFile, PASS_A);
    await page.getByTestId('export-download').waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
    const fresh = await readFile((await download.path())!, 'utf8');
    expect(fresh).not.toBe(adaKeyFile);
    const opened = await importKeyFile(fresh, NEW_PASS_A);
    expect(opened.public).toEqual((await importKeyFile(adaKeyFile, PASS_A)).public);
    await expect(importKeyFile(fresh, PASS_A)).rejects.toMatchObject({ code: 'wrong-passphrase' });
  });

  it('L10: the trust screen names the user id when the directory serves a misleading display name, in the same casing as the list', async () => {
    const page = people.ada.page;
    // The directory (untrusted) calls bea by a name of its choosing.
    await page.context().route('**/api/v1/users/bea/keys', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { displayName: string };
      await route.fulfill({ response: res, json: { ...body, displayName: 'ada (verified by MessageHub)' } });
    });
    await page.getByTestId('settings-back').click();
    await startConversation(page, 'bea');
    await conversationItem(page, 'bea').waitFor();
    await page.getByTestId('open-safety-number').click();
    await page.getByTestId('safety-number').waitFor();
    const heading = (await page.getByTestId('contact-heading').textContent())!.replace(/\s+/g, ' ').trim();
    expect(heading).toBe('Safety number with bea');
    expect(await page.getByTestId('contact-user-id').textContent()).toBe(await conversationItem(page, 'bea').getAttribute('data-title'));
    const screen = (await page.locator('mh-contact').textContent()) ?? '';
    expect(screen).not.toContain('verified by MessageHub');
    await page.context().unroute('**/api/v1/users/bea/keys');
    expect(people.errors).toEqual([]);
  });

  it('a rotation signed by bea’s previous key is a notice on ada’s trust screen, not a block (ACCT5)', async () => {
    const page = people.ada.page;
    // bea rotates through the real API: the new key is signed by her current one.
    const bea = new NodeClient(stack.url, await importKeyFile(beaKeyFile, PASSPHRASES.bea));
    await bea.login();
    const next = await fixtureIdentity('victor', 'bea');
    const { current } = await bea.api.keys('bea');
    const ch = await bea.api.accountChallenge('rotate');
    const signature = await signRotation(bea.identity, { nonce: ch.nonce, fromVersion: current.version }, next.public);
    await bea.api.rotateKeys({ identity: next.public, proof: await signRegistration(next), challengeId: ch.challengeId, signature });

    await page.reload();
    await openConversationWith(page, 'bea');
    await page.getByTestId('open-safety-number').click();
    await page.getByTestId('key-rotated').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('key-rotated').textContent()).toContain('bea rotated their key; it was signed by their previous key.');
    expect(await page.getByTestId('key-changed').count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    await screenshotBoth(page, '10-contact-rotated');
    await page.getByTestId('contact-back').click();
    await page.getByTestId('composer-input').waitFor();
    expect(await page.getByTestId('sending-blocked').count()).toBe(0);
    expect(await page.getByTestId('composer-send').isDisabled()).toBe(false);
  });
});
