// Journey 4 — New device: A's old device is gone. A fresh persistent browser profile
// imports A's key file (saved at sign-up) with A's passphrase; the whole history — more
// than 200 messages in two conversations, seeded through the real API with A's own keys,
// plus the chat with B — appears, and A keeps chatting, continuing her signed chains.
// A wrong passphrase and a damaged file each get their own plain error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chainOf, importKeyFile, type Envelope } from '../../protocol/src/index.ts';
import type { Stack } from '../support/stack.ts';
import type { Route } from 'playwright-core';
import { awaitRestored, axeClean, bodies, countIndexedDbRows, message, NodeClient, openConversationWith, screenshotBoth, sealInTurns, send, stateOf, submitRestore } from '../support/journeys.ts';
import { PASSPHRASES, twoPeople, type TwoPeople } from '../support/people.ts';

const PASS_A = PASSPHRASES.ada;
const SEED_C = 120; // ada <-> cyd
const SEED_D = 100; // dov <-> ada

describe('journey 4: new device', () => {
  let people: TwoPeople;
  let stack: Stack;
  let pageB: Page;
  let keyFileA = '';
  let adaNode: NodeClient;
  let cyd: NodeClient;
  const convs: { c: string; d: string } = { c: '', d: '' };
  const seededC: string[] = [];
  const seededD: string[] = [];
  let lastAdaEnvelopeInC: Envelope;
  const chat = ['old device: hello bea', 'hi ada', 'my laptop is about to die'];

  beforeAll(async () => {
    people = await twoPeople({ conversation: true });
    const pageA = people.ada.page;
    ({ stack, bea: { page: pageB }, ada: { keyFile: keyFileA } } = people);
    await send(pageA, chat[0]!);
    await message(pageB, chat[0]!).waitFor({ timeout: 10_000 });
    await send(pageB, chat[1]!);
    await message(pageA, chat[1]!).waitFor({ timeout: 10_000 });
    await send(pageA, chat[2]!);
    await message(pageB, chat[2]!).waitFor({ timeout: 10_000 });
    await people.ada.ctx.close(); // the old device is gone

    // Seed quickly through the real API: A's identity from her key file, two more users.
    adaNode = new NodeClient(stack.url, await importKeyFile(keyFileA, PASS_A));
    await adaNode.login();
    cyd = await NodeClient.register(stack.url, 'cyd', 'carol');
    const dov = await NodeClient.register(stack.url, 'dov', 'dave');
   
    const t0 = Date.now() - 3 * 3600_000;
    const withC = await adaNode.createConversation(['cyd']);
    const withD = await dov.createConversation(['ada']);
    convs.c = withC.conversationId;
    convs.d = withD.conversationId;
    const inC = await sealInTurns(adaNode, cyd, withC, SEED_C, (i) => ({ body: `history with cyd #${i + 1}`, composedAt: t0 + i * 30_000 }));
    for (const m of inC) {
      seededC.push(m.body);
      await m.by.sendBatch([m.envelope]);
    }
    lastAdaEnvelopeInC = inC.filter((m) => m.by === adaNode).at(-1)!.envelope;
    const inD = await sealInTurns(dov, adaNode, withD, SEED_D, (i) => ({ body: `history with dov #${i + 1}`, composedAt: t0 + i * 30_000 }));
    const byDov = inD.filter((m) => m.by === dov);
    const byAda = inD.filter((m) => m.by === adaNode);
    // Each sender's messages in one batch; the two senders interleave only in compose time.
    await dov.sendBatch(byDov.map((m) => m.envelope));
    await adaNode.sendBatch(byAda.map((m) => m.envelope));
    // In the log: dov's batch (odd numbers) first, then A's (even numbers).
    seededD.push(...byDov.map((m) => m.body), ...byAda.map((m) => m.body));
  });

  afterAll(async () => people?.close());

  it('restores the whole history on a fresh profile from the key file, refuses a damaged file and a wrong passphrase, and chats on', async () => {
    const { page, requested } = await people.newDevice();
    const cryptoWorkers: string[] = [];
    page.on('worker', (w) => void (/crypto-worker/.test(w.url()) && cryptoWorkers.push(w.url())));

    // A damaged file: one character of the ciphertext changed.
    const json = JSON.parse(keyFileA) as { ciphertext: string };
    const i = Math.floor(json.ciphertext.length / 2);
    const damaged = JSON.stringify({ ...json, ciphertext: json.ciphertext.slice(0, i) + (json.ciphertext[i] === 'A' ? 'B' : 'A') + json.ciphertext.slice(i + 1) }, null, 2);
    await submitRestore(page, damaged, PASS_A);
    await expect.poll(() => page.getByTestId('restore-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('damaged');
    expect(await page.getByTestId('restore-error').textContent()).toContain('damaged');

    // The right file, a wrong passphrase.
    await submitRestore(page, keyFileA, 'ada passphrase: purple otter meets marble');
    await expect.poll(() => page.getByTestId('restore-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('wrong-passphrase');
    expect(await page.getByTestId('restore-error').textContent()).toContain('Wrong passphrase');

    // The right passphrase: everything comes back.
    await page.getByTestId('restore-passphrase').fill(PASS_A);
    await page.getByTestId('restore-submit').click();
    await page.getByTestId('restore-summary').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('restore-conversations').textContent()).toBe('3');
    expect(await page.getByTestId('restore-messages').textContent()).toBe(String(chat.length + SEED_C + SEED_D));
    expect(await page.getByTestId('restore-failed').getAttribute('data-count')).toBe('0');
    await page.getByTestId('restore-continue').click();
    // Restored history is not "unread": it was read on the old device.
    await page.getByTestId('conversation-item').first().waitFor();
    expect(await page.getByTestId('unread-count').count()).toBe(0);

    await openConversationWith(page, 'cyd');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(seededC);
    await openConversationWith(page, 'dov');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(seededD);
    await openConversationWith(page, 'bea');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(chat);
    expect(await page.getByTestId('integrity-warning').count()).toBe(0);
    // A restore asks for no new passphrase: the strength dictionaries (0.8 MB gzip) are not
    // fetched, not even when "I have a key file" takes focus on the sign-up form.
    expect(requested.filter((u) => /strength-dictionaries/.test(u))).toEqual([]);
    // The history was verified and opened in the crypto workers (pwa/src/services/crypto-workers.ts).
    expect(cryptoWorkers.length).toBeGreaterThan(0);

    // A keeps chatting: B gets it live, with no warning (the chain continued)…
    await send(page, 'new laptop, same me');
    await message(pageB, 'new laptop, same me').waitFor({ timeout: 15_000 });
    await send(pageB, 'welcome back');
    await message(page, 'welcome back').waitFor({ timeout: 15_000 });
    expect(await pageB.getByTestId('integrity-warning').count()).toBe(0);

    // …and in the seeded conversation the restored device starts a chain of its own (DEV6):
    // a new device key certified by ada's account key, never a continuation of the old
    // device's counters, so the two can never fork.
    await openConversationWith(page, 'cyd');
    await send(page, 'cyd, I restored everything');
    await expect.poll(() => message(page, 'cyd, I restored everything').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/^(sent|delivered)$/);
    const log = await cyd.api.log(convs.c, 0, 1000);
    const fromAda = log.entries.filter((e) => e.kind === 'message' && (e.body as Envelope).sender === 'ada').map((e) => e.body as Envelope);
    const last = fromAda.at(-1)!;
    // The new chain may begin with a read receipt for what was on screen (EVT2), then the text.
    const newChain = fromAda.filter((e) => chainOf(e) === chainOf(last));
    expect(newChain[0]).toMatchObject({ v: 2, counter: 1, prevHash: null });
    expect(last.counter).toBe(newChain.length);
    expect(chainOf(last)).not.toBe(chainOf(lastAdaEnvelopeInC));
    expect(people.errors).toEqual([]);

    // "Forget this device" leaves nothing behind: back to onboarding, and the fresh app's
    // database has not one record in any store.
    await page.getByTestId('open-settings').click();
    await page.getByTestId('forget-device').click();
    await page.getByTestId('forget-confirm').click();
    await page.getByTestId('onboarding-username').waitFor({ timeout: 15_000 });
    expect(await countIndexedDbRows(page)).toBe(0);
  });

  // Issue 18: the most recent conversations first, the list usable while older history
  // streams in; a reload mid-stream continues it (restore-state in IndexedDB), not news.
  it('opens the newest conversations at once while older history streams in, survives a reload mid-stream, and nothing restored is unread', async () => {
    const NEWEST = 5;
    for (let i = 0; i < NEWEST; i++) {
      const conv = await adaNode.createConversation(['cyd']);
      for (const m of await sealInTurns(adaNode, cyd, conv, 1, () => ({ body: `recent chat #${i + 1}`, composedAt: Date.now() }))) await m.by.sendBatch([m.envelope]);
    }
    const { page } = await people.newDevice();
    // Hold the background pull (POST /sync): the newest conversations come one by one
    // through their logs, the rest waits here as on a slow network.
    const held: Route[] = [];
    await page.route('**/api/v1/sync', (route) => void held.push(route));
    await submitRestore(page, keyFileA, PASS_A);
    const streaming = page.getByTestId('restore-streaming');
    await streaming.waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('conversation-item').count(), { timeout: 30_000 }).toBe(NEWEST);
    // A share, not "n of m messages": m counts log entries, the summary counts messages.
    expect(await streaming.textContent()).toMatch(/Restoring your history: \d+\s?%/);
    expect(await page.getByTestId('restore-summary').count()).toBe(0);
    await screenshotBoth(page, '04-restore-streaming');
    await axeClean(page, 'the list while history streams in');
    // Read and write meanwhile.
    await page.getByTestId('conversation-item').first().click();
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(['recent chat #5']);
    await send(page, 'writing while it restores');
    await expect.poll(() => stateOf(page, 'writing while it restores'), { timeout: 15_000 }).toMatch(/^(sent|delivered)$/);
    expect(held.length).toBeGreaterThan(0);

    // A reload mid-stream: the restore continues from what IndexedDB holds.
    await page.unroute('**/api/v1/sync');
    for (const r of held) await r.abort().catch(() => undefined);
    await page.reload();
    await awaitRestored(page);
    expect(await page.getByTestId('restore-conversations').textContent()).toBe(String(NEWEST + 3));
    expect(await page.getByTestId('restore-failed').getAttribute('data-count')).toBe('0');
    expect(await page.getByTestId('conversation-item').count()).toBe(NEWEST + 3);
    expect(await page.getByTestId('unread-count').count()).toBe(0);
    await screenshotBoth(page, '04-restore-summary');
    await axeClean(page, 'the restore summary on the list');
    await page.getByTestId('restore-continue').click();
    expect(await page.getByTestId('restore-summary').count()).toBe(0);
    await openConversationWith(page, 'dov');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(seededD);
    expect(await page.getByTestId('unread-count').count()).toBe(0);
  });
});
