// Journey 4 — New device: A's old device is gone. A fresh persistent browser profile
// imports A's key file (saved at sign-up) with A's passphrase; the whole history — more
// than 200 messages in two conversations, seeded through the real API with A's own keys,
// plus the chat with B — appears, and A keeps chatting, continuing her signed chains.
// A wrong passphrase and a damaged file each get their own plain error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { envelopeHash, importKeyFile, type Envelope } from '../../protocol/src/index.ts';
import { launchBrowser, launchPersistent } from '../support/browser.ts';
import type { Stack } from '../support/stack.ts';
import {
  bodies, createAccount, message, NodeClient, openConversationWith, personContext, send, startConversation, startJourneyStack, watchErrors,
} from '../support/journeys.ts';

const PASS_A = 'ada passphrase: purple otter meets granite';
const SEED_C = 120; // ada <-> cyd
const SEED_D = 100; // dov <-> ada

function keyFileInput(name: string, text: string) {
  return { name, mimeType: 'application/json', buffer: Buffer.from(text) };
}

describe('journey 4: new device', () => {
  let stack: Stack;
  let browser: Browser;
  let ctxB: BrowserContext;
  let pageB: Page;
  let device: BrowserContext | undefined;
  let profile = '';
  let keyFileA = '';
  let adaNode: NodeClient;
  let cyd: NodeClient;
  const convs: { c: string; d: string } = { c: '', d: '' };
  const seededC: string[] = [];
  const seededD: string[] = [];
  let lastAdaEnvelopeInC: Envelope;
  const chat = ['old device: hello bea', 'hi ada', 'my laptop is about to die'];
  const errors: string[] = [];

  beforeAll(async () => {
    stack = await startJourneyStack();
    browser = await launchBrowser();
    const ctxA = await personContext(browser, stack.url);
    ctxB = await personContext(browser, stack.url);
    const pageA = await ctxA.newPage();
    pageB = await ctxB.newPage();
    watchErrors(pageA, errors);
    watchErrors(pageB, errors);
    keyFileA = await createAccount(pageA, stack.url, 'ada', PASS_A);
    await createAccount(pageB, stack.url, 'bea', 'bea passphrase: seven quiet lanterns drift');
   
    await startConversation(pageA, 'bea');
    await openConversationWith(pageB, 'ada');
    await send(pageA, chat[0]!);
    await message(pageB, chat[0]!).waitFor({ timeout: 10_000 });
    await send(pageB, chat[1]!);
    await message(pageA, chat[1]!).waitFor({ timeout: 10_000 });
    await send(pageA, chat[2]!);
    await message(pageB, chat[2]!).waitFor({ timeout: 10_000 });
    await ctxA.close(); // the old device is gone
   

    // Seed quickly through the real API: A's identity from her key file, two more users.
    adaNode = new NodeClient(stack.url, await importKeyFile(keyFileA, PASS_A));
    await adaNode.login();
    cyd = await NodeClient.register(stack.url, 'cyd');
    const dov = await NodeClient.register(stack.url, 'dov');
   
    const t0 = Date.now() - 3 * 3600_000;
    const withC = await adaNode.createConversation(['cyd']);
    const withD = await dov.createConversation(['ada']);
    convs.c = withC.conversationId;
    convs.d = withD.conversationId;
    const fromAdaC: Envelope[] = [];
    for (let i = 0; i < SEED_C; i++) {
      const body = `history with cyd #${i + 1}`;
      seededC.push(body);
      const who = i % 2 === 0 ? adaNode : cyd;
      const [env] = await who.seal(convs.c, 0, withC.key, [{ body, composedAt: t0 + i * 30_000 }]);
      if (who === adaNode) fromAdaC.push(env!);
      await who.sendBatch([env!]);
    }
   
    lastAdaEnvelopeInC = fromAdaC[fromAdaC.length - 1]!;
    const byAda: Envelope[] = [];
    const byDov: Envelope[] = [];
    for (let i = 0; i < SEED_D; i++) {
      const body = `history with dov #${i + 1}`;
      seededD.push(body);
      const who = i % 2 === 0 ? dov : adaNode;
      const [env] = await who.seal(convs.d, 0, withD.key, [{ body, composedAt: t0 + i * 30_000 }]);
      (who === adaNode ? byAda : byDov).push(env!);
    }
    // Each sender's messages in one batch; the two senders interleave only in compose time.
    await dov.sendBatch(byDov);
    await adaNode.sendBatch(byAda);
    // In the log: dov's batch (odd numbers) first, then A's (even numbers).
    seededD.splice(0, seededD.length, ...seededD.filter((_, i) => i % 2 === 0), ...seededD.filter((_, i) => i % 2 === 1));
  });

  afterAll(async () => {
    await device?.close();
    await ctxB?.close();
    await browser?.close();
    await stack?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('restores the whole history on a fresh profile from the key file, refuses a damaged file and a wrong passphrase, and chats on', async () => {
    profile = await mkdtemp(path.join(os.tmpdir(), 'mh-new-device-'));
    device = await launchPersistent(profile);
    await device.grantPermissions(['background-sync'], { origin: stack.url });
    const page = device.pages()[0] ?? (await device.newPage());
    watchErrors(page, errors);
    await page.goto(stack.url);
    await page.getByTestId('go-restore').click();

    // A damaged file: one character of the ciphertext changed.
    const json = JSON.parse(keyFileA) as { ciphertext: string };
    const i = Math.floor(json.ciphertext.length / 2);
    const damaged = JSON.stringify({ ...json, ciphertext: json.ciphertext.slice(0, i) + (json.ciphertext[i] === 'A' ? 'B' : 'A') + json.ciphertext.slice(i + 1) }, null, 2);
    await page.getByTestId('restore-keyfile').setInputFiles(keyFileInput('messagehub-ada.keyfile.json', damaged));
    await page.getByTestId('restore-passphrase').fill(PASS_A);
    await page.getByTestId('restore-submit').click();
    await expect.poll(() => page.getByTestId('restore-error').getAttribute('data-code'), { timeout: 30_000 }).toBe('damaged');
    expect(await page.getByTestId('restore-error').textContent()).toContain('damaged');

    // The right file, a wrong passphrase.
    await page.getByTestId('restore-keyfile').setInputFiles(keyFileInput('messagehub-ada.keyfile.json', keyFileA));
    await page.getByTestId('restore-passphrase').fill('ada passphrase: purple otter meets marble');
    await page.getByTestId('restore-submit').click();
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

    await openConversationWith(page, 'cyd');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(seededC);
    await openConversationWith(page, 'dov');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(seededD);
    await openConversationWith(page, 'bea');
    await expect.poll(() => bodies(page), { timeout: 30_000 }).toEqual(chat);
    expect(await page.getByTestId('integrity-warning').count()).toBe(0);

    // A keeps chatting: B gets it live, with no warning (the chain continued)…
    await send(page, 'new laptop, same me');
    await message(pageB, 'new laptop, same me').waitFor({ timeout: 15_000 });
    await send(pageB, 'welcome back');
    await message(page, 'welcome back').waitFor({ timeout: 15_000 });
    expect(await pageB.getByTestId('integrity-warning').count()).toBe(0);

    // …and in the seeded conversation the next envelope continues A's chain there.
    await openConversationWith(page, 'cyd');
    await send(page, 'cyd, I restored everything');
    await expect.poll(() => message(page, 'cyd, I restored everything').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/^(sent|delivered)$/);
    const log = await cyd.api.log(convs.c, 0, 1000);
    const last = log.entries.filter((e) => e.kind === 'message' && (e.body as Envelope).sender === 'ada').at(-1)!.body as Envelope;
    expect(last.counter).toBe(lastAdaEnvelopeInC.counter + 1);
    expect(last.prevHash).toBe(await envelopeHash(lastAdaEnvelopeInC));
    expect(errors).toEqual([]);
  });
});
