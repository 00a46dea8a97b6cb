// Journey 16 — a lost phone (issue 12; protocol DEV11..DEV13, LOST1, LOST2). Ada has a
// laptop and a phone (linked by code from the laptop, SPEC §12b), both chat with bea; the
// phone is lost; on the laptop ada chooses "I lost this device" on the phone's row: it is
// revoked, the account key replaced, every conversation re-keyed, and ada saves the new key
// file. Bea sees a plain notice, not an alarm, and keeps sending; the phone can neither read
// what comes next nor post, with its token or its keys; the new key file opens the account
// on a third device with the WHOLE history (HIST1..HIST5): the laptop archived the old epoch
// keys, re-wrapped to the new key, so what was said before the loss reads there too, with no
// warning, and no epoch key lies anywhere in clear.
import { mkdir, readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importKeyFile, rawEpochKey, type EpochRecord } from '../../protocol/src/index.ts';
import {
  SCREENSHOT_DIR, bodies, dumpDatabase, dumpIndexedDb, linkByCode, message, openConversationWith, screenshotBoth, send, spellings, submitRestore, until,
  axeViolations, storedToken,
} from '../support/journeys.ts';
import { PASSPHRASES, twoPeople, type TwoPeople } from '../support/people.ts';

const NEW_PASS = 'ada after the phone: seven herons guard the lighthouse';

const axe = axeViolations;

/** The stored log of a page as [seq, kind, problem, creator or sender, epoch]: metadata only, for a failure's message. */
function logSummary(page: Page): Promise<string> {
  return page.evaluate(() => new Promise<string>((resolve) => {
    const open = indexedDB.open('messagehub');
    open.onsuccess = () => {
      const all = open.result.transaction('log').objectStore('log').getAll();
      all.onsuccess = () => resolve(JSON.stringify((all.result as { seq: number; kind: string; check: { problem: string | null }; body: { creator?: string; epoch?: number; sender?: string } }[])
        .map((r) => [r.seq, r.kind, r.check.problem, r.body.creator ?? r.body.sender, r.body.epoch])));
    };
  }));
}

describe('journey 16: a lost phone', () => {
  let people: TwoPeople;
  let laptop: Page;
  let bea: Page;
  let phone: Page;
  let phoneToken: string | null = null;
  let newKeyFile = '';

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ conversation: true });
    laptop = people.ada.page;
    bea = people.bea.page;
  });

  afterAll(async () => people?.close());

  it('ada links a phone by code from her laptop; laptop and phone both chat with bea', async () => {
    const d = await people.newDevice();
    phone = d.page;
    await linkByCode(laptop, phone, PASSPHRASES.ada);
    await phone.getByTestId('restore-continue').waitFor({ timeout: 60_000 });
    await phone.getByTestId('restore-continue').click();
    await phone.getByTestId('start-username').waitFor({ timeout: 15_000 });
    await openConversationWith(phone, 'bea');
    await openConversationWith(laptop, 'bea'); // linking left the laptop in Settings
    await send(laptop, 'laptop: before');
    await send(phone, 'phone: before');
    await message(bea, 'phone: before').waitFor({ timeout: 20_000 });
    await message(bea, 'laptop: before').waitFor({ timeout: 20_000 });
    // Bea is told, in one plain line, that ada's messages now also come from another device
    // her key vouches for: a notice, not a warning, and sending is not paused.
    const added = bea.locator('[data-testid="membership-event"] [data-kind="device-added"][data-user="ada"]');
    await added.first().waitFor({ timeout: 20_000 });
    expect(await added.count()).toBe(1);
    expect(await added.first().textContent()).toMatch(/ada linked a new device/);
    expect(await bea.getByTestId('integrity-warning').count()).toBe(0);
    expect(await bea.getByTestId('sending-blocked').count()).toBe(0);
    await send(bea, 'bea: before');
    await message(phone, 'bea: before').waitFor({ timeout: 20_000 });
    await message(laptop, 'bea: before').waitFor({ timeout: 20_000 });
    phoneToken = await storedToken(phone);
    expect(phoneToken).toBeTruthy();
  });

  it('on the laptop, "I lost this device" on the phone\'s row: revoke, new keys, re-key, and the new key file', async () => {
    await laptop.getByTestId('back-to-list').click();
    await laptop.getByTestId('open-settings').click();
    await laptop.getByTestId('device-list').waitFor({ timeout: 15_000 });
    const other = laptop.locator('[data-testid="device"][data-current="false"]');
    await expect.poll(() => other.count(), { timeout: 15_000 }).toBe(1);
    // The phone's row names its device (DEV12), so the lost-device flow is offered.
    await other.getByTestId('lost-device').waitFor({ timeout: 15_000 });
    expect(await laptop.locator('[data-testid="device"][data-current="true"]').getByTestId('lost-device').count()).toBe(0);
    await other.getByTestId('lost-device').click();
    await laptop.getByTestId('lost-form').waitFor();
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '16-lost-device-confirm');
    // A weak or mismatched passphrase is refused before anything is done.
    await laptop.getByTestId('lost-passphrase').fill(NEW_PASS);
    await laptop.getByTestId('lost-passphrase-confirm').fill(`${NEW_PASS} (typo)`);
    await laptop.getByTestId('lost-confirm').click();
    await laptop.getByTestId('lost-error').waitFor({ timeout: 15_000 });
    expect(await laptop.getByTestId('lost-error').textContent()).toMatch(/different/);
    await laptop.getByTestId('lost-passphrase-confirm').fill(NEW_PASS);
    await laptop.getByTestId('lost-confirm').click();
    await laptop.getByTestId('lost-save').waitFor({ timeout: 120_000 });
    expect(await axe(laptop)).toEqual([]);
    await screenshotBoth(laptop, '16-lost-device-save');
    expect(await laptop.getByTestId('lost-finish').isDisabled()).toBe(true);
    const [download] = await Promise.all([laptop.waitForEvent('download'), laptop.getByTestId('lost-download').click()]);
    newKeyFile = await readFile((await download.path())!, 'utf8');
    await laptop.getByTestId('lost-finish').click();
    await laptop.getByTestId('lost-done').waitFor();
    await laptop.getByTestId('lost-close').click();
    // The new key file holds the NEW keys: not the ones the phone has.
    const [fresh, old] = await Promise.all([importKeyFile(newKeyFile, NEW_PASS), importKeyFile(people.ada.keyFile, PASSPHRASES.ada)]);
    expect(fresh.userId).toBe('ada');
    expect(fresh.public).not.toEqual(old.public);
    // Only the laptop is left in the list.
    await expect.poll(() => laptop.getByTestId('device').count(), { timeout: 15_000 }).toBe(1);
  });

  it('bea sees a plain notice, not an alarm, and keeps sending; the laptop reads her', async () => {
    const notice = bea.locator('[data-testid="membership-event"] [data-kind="key-changed"][data-user="ada"]');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.getAttribute('data-change')).toBe('rotation');
    expect(await notice.textContent()).toMatch(/ada changed their keys on one of their own devices .*nothing to do/);
    expect(await bea.getByTestId('sending-blocked').count()).toBe(0);
    expect(await bea.getByTestId('integrity-warning').count()).toBe(0);
    expect(await axe(bea)).toEqual([]);
    await screenshotBoth(bea, '16-contact-key-notice');
    await send(bea, 'bea: after');
    await expect.poll(() => message(bea, 'bea: after').first().getAttribute('data-state'), { timeout: 20_000 }).not.toBe('queued');
    await laptop.getByTestId('settings-back').click();
    await openConversationWith(laptop, 'bea');
    await message(laptop, 'bea: after').waitFor({ timeout: 20_000 });
    // Sending is not paused on the laptop either (its own re-key is no alarm, L7).
    const blocked = laptop.getByTestId('sending-blocked');
    await until(async () => (await blocked.count()) === 0, 'the laptop to send', 20_000).catch(async (e: unknown) => {
      const log = await laptop.evaluate(() => new Promise<string>((resolve) => {
        const open = indexedDB.open('messagehub');
        open.onsuccess = () => {
          const all = open.result.transaction('log').objectStore('log').getAll();
          all.onsuccess = () => resolve(JSON.stringify((all.result as { seq: number; kind: string; check: { problem: string | null }; body: { creator?: string; epoch?: number; sender?: string } }[])
            .map((r) => [r.seq, r.kind, r.check.problem, r.body.creator ?? r.body.sender, r.body.epoch])));
        };
      }));
      throw new Error(`${String(e)}: ${await blocked.textContent()} ${log}`);
    });
    await send(laptop, 'laptop: after');
    await message(bea, 'laptop: after').waitFor({ timeout: 20_000 });

    expect(await bea.getByTestId('integrity-warning').count()).toBe(0);
    expect(await laptop.getByTestId('integrity-warning').count()).toBe(0);
  });

  it('the lost phone can neither read nor post: its token is refused, and so is its login with the keys it holds', async () => {
    const url = people.stack.url;
    // Its token, from Node: refused for reading and for posting.
    const read = await fetch(`${url}/api/v1/sessions`, { headers: { authorization: `Bearer ${phoneToken}` } });
    expect(read.status).toBe(401);
    const sync = await fetch(`${url}/api/v1/sync`, {
      method: 'POST', headers: { authorization: `Bearer ${phoneToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ cursors: {} }),
    });
    expect(sync.status).toBe(401);
    const post = await fetch(`${url}/api/v1/messages/batch`, {
      method: 'POST', headers: { authorization: `Bearer ${phoneToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ envelopes: [] }),
    });
    expect(post.status).toBe(401);
    // The app on the phone, started again, tries to log in with its keys: refused.
    const login = phone.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'), { timeout: 60_000 });
    await phone.reload();
    expect((await login).status()).toBeGreaterThanOrEqual(400);
    await openConversationWith(phone, 'bea');
    await send(phone, 'phone: stolen');
    const again = await phone.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'), { timeout: 60_000 });
    expect(again.status()).toBeGreaterThanOrEqual(400);
    // Nothing after the loss reached it, and what it wrote reached nobody.
    const seen = await bodies(phone);
    expect(seen).toContain('bea: before');
    expect(seen).not.toContain('bea: after');
    expect(seen).not.toContain('laptop: after');
    expect(await bodies(bea)).not.toContain('phone: stolen');
  });

  it('HIST3, HIST4: the new key file opens the account on a third device, which reads the whole history, before the loss and after, with no warning', async () => {
    // The laptop archived the old epoch keys to the new key (LOST2 step 5): one entry per old epoch of ada's.
    const archived = await people.stack.database.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM epoch_archive a JOIN users u ON u.id = a.user_id WHERE u.user_id = 'ada'`,
    );
    expect(Number(archived.rows[0]!.n)).toBeGreaterThan(0);
    const third = (await people.newDevice()).page;
    await submitRestore(third, newKeyFile, NEW_PASS);
    await third.getByTestId('restore-continue').waitFor({ timeout: 60_000 });
    await third.getByTestId('restore-continue').click();
    await third.getByTestId('start-username').waitFor({ timeout: 15_000 });
    await openConversationWith(third, 'bea');
    await message(third, 'laptop: after').waitFor({ timeout: 20_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${await logSummary(third)}`);
    });
    await message(third, 'bea: after').waitFor({ timeout: 20_000 });
    await until(async () => (await bodies(third)).includes('bea: after'), 'the history after the loss on the third device');
    // Before the loss: what bea, the laptop and the (now lost) phone said, under the old key.
    for (const text of ['bea: before', 'laptop: before', 'phone: before']) {
      await message(third, text).waitFor({ timeout: 20_000 }).catch(async (e: unknown) => {
        throw new Error(`${String(e)}: ${await logSummary(third)}`);
      });
    }
    expect(await third.getByTestId('integrity-warning').count()).toBe(0);
    expect(await third.getByTestId('sending-blocked').count()).toBe(0);
    await screenshotBoth(third, '16-third-device-full-history');
    expect(people.errors).toEqual([]);

    // No epoch key in clear at rest: the old epochs' keys (opened here in Node with the OLD
    // key file) appear in no IndexedDB of ada's devices and nowhere in the database.
    const old = await importKeyFile(people.ada.keyFile, PASSPHRASES.ada);
    const records = await people.stack.database.query<{ body: EpochRecord }>(`SELECT body FROM log_entries WHERE kind = 'epoch' ORDER BY conversation_id, seq`);
    const secrets: string[] = [];
    for (const { body } of records.rows) {
      const raw = await rawEpochKey(body, old).catch(() => null);
      if (raw) secrets.push(...spellings(raw));
    }
    expect(secrets.length).toBeGreaterThan(0);
    const places: Record<string, string> = {
      database: (await dumpDatabase(people.stack.database)).text,
      'laptop IndexedDB': (await dumpIndexedDb(laptop)).text,
      'third device IndexedDB': (await dumpIndexedDb(third)).text,
    };
    expect(places.database).toContain('epoch_archive');
    for (const [where, text] of Object.entries(places)) {
      expect(secrets.filter((x) => text.includes(x)), where).toEqual([]);
      for (const t of ['bea: before', 'laptop: before', 'bea: after']) expect(text.includes(t), `${where}: ${t}`).toBe(false);
    }
    // The laptop kept the old private keys only for the flow: its state is gone.
    expect(places['laptop IndexedDB']).not.toContain('lost-device');
  });
});
