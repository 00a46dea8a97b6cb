// Journey 7 — No plaintext at rest. The data of journeys 1–4 is made again here (each
// test file has its own database): a live chat, messages composed offline (dumped while
// still queued in the outbox), a message sent while the service was down, and a restore
// on a new device with history seeded through the API. Then every table of the database
// (all columns cast to text) and every IndexedDB store, the Cache Storage and Web Storage
// of every browser profile are dumped: none holds a message text, a passphrase, or the
// private keys (the PKCS#8 inside the key files, or the raw Ed25519 seed) in any spelling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { fromBase64Url, importKeyFile, readKeyFile } from '../../protocol/src/index.ts';
import type { Stack } from '../support/stack.ts';
import {
  dispatchSync, dumpDatabase, dumpIndexedDb, message, NodeClient, openConversationWith, sealInTurns, send, spellings, stateOf, submitRestore,
} from '../support/journeys.ts';
import { PASSPHRASES, twoPeople, type TwoPeople } from '../support/people.ts';

const PASS_A = PASSPHRASES.ada;
const PASS_B = PASSPHRASES.bea;

/** Cache Storage (every cached response body) and Web Storage of the page's origin. */
async function dumpOtherStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) parts.push(`${name} ${req.url}\n${await (await cache.match(req))!.text()}`);
    }
    return parts.join('\n');
  });
}

describe('journey 7: no plaintext at rest', () => {
  let people: TwoPeople;
  let stack: Stack;
  let ctxB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  let keyFileA = '';
  let keyFileB = '';
  const texts: string[] = [];
  const queuedDumps: string[] = [];

  beforeAll(async () => {
    people = await twoPeople({ conversation: true });
    ({ stack, ada: { page: pageA, keyFile: keyFileA }, bea: { ctx: ctxB, page: pageB, keyFile: keyFileB } } = people);
  });

  afterAll(async () => people?.close());

  it('after chat, offline compose, server down and restore, no dump holds a message text, passphrase or private key', async () => {
    // 1. Live chat.
    for (const [from, to, text] of [[pageA, pageB, 'canary chat one: lilac walrus hums'], [pageB, pageA, 'canary chat two: copper heron waits']] as const) {
      texts.push(text);
      await send(from, text);
      await message(to, text).waitFor({ timeout: 10_000 });
    }
    // 2. Offline compose: dumped while sealed in the outbox.
    await ctxB.setOffline(true);
    for (const text of ['canary offline one: amber fjord sleeps', 'canary offline two: quiet tundra glows']) {
      texts.push(text);
      await send(pageB, text);
      expect(await stateOf(pageB, text)).toBe('queued');
    }
    queuedDumps.push((await dumpIndexedDb(pageB)).text);
    await ctxB.setOffline(false);
    for (const text of texts.slice(2)) await message(pageA, text).waitFor({ timeout: 30_000 });
    // 3. Server down: queued, dumped, then delivered after the restart.
    await stack.stopService();
    const downText = 'canary server down: violet mesa echoes';
    texts.push(downText);
    await send(pageB, downText);
    expect(await stateOf(pageB, downText)).toBe('queued');
    queuedDumps.push((await dumpIndexedDb(pageB)).text);
    await stack.startServiceAgain();
    await dispatchSync(pageB, stack.url);
    await message(pageA, downText).waitFor({ timeout: 30_000 });
    // 4. A new device restores A, with history seeded under A's own keys.
    const ada = new NodeClient(stack.url, await importKeyFile(keyFileA, PASS_A));
    await ada.login();
    const cyd = await NodeClient.register(stack.url, 'cyd', 'carol');
    const conv = await ada.createConversation(['cyd']);
    const seeded = await sealInTurns(ada, cyd, conv, 20, (i) => ({ body: `canary seeded ${i + 1}: saffron delta ${i % 2 ? 'answers' : 'asks'}`, composedAt: Date.now() - 60_000 + i }));
    for (const m of seeded) {
      texts.push(m.body);
      await m.by.sendBatch([m.envelope]);
    }
    const { page: pageC } = await people.newDevice();
    await submitRestore(pageC, keyFileA, PASS_A);
    await pageC.getByTestId('restore-summary').waitFor({ timeout: 120_000 });
    await pageC.getByTestId('restore-continue').click();
    await openConversationWith(pageC, 'cyd');
    await message(pageC, texts.at(-1)!).waitFor({ timeout: 20_000 });
    const fromNewDevice = 'canary new device: indigo lantern speaks';
    texts.push(fromNewDevice);
    await openConversationWith(pageC, 'bea');
    await send(pageC, fromNewDevice);
    await message(pageB, fromNewDevice).waitFor({ timeout: 15_000 });

    // The secrets.
    const secrets: Record<string, string[]> = {};
    texts.forEach((t, i) => (secrets[`message ${i + 1}`] = spellings(t)));
    secrets['passphrase A'] = spellings(PASS_A);
    secrets['passphrase B'] = spellings(PASS_B);
    for (const [who, file, pass] of [['A', keyFileA, PASS_A], ['B', keyFileB, PASS_B]] as const) {
      const keys = await readKeyFile(file, pass);
      secrets[`${who} RSA private key (pkcs8)`] = spellings(keys.encryptionPkcs8);
      secrets[`${who} Ed25519 private key (pkcs8)`] = spellings(keys.signingPkcs8);
      secrets[`${who} Ed25519 seed`] = spellings(keys.signingPkcs8.subarray(keys.signingPkcs8.length - 32));
    }

    // The dumps.
    const db = await dumpDatabase(stack.database);
    const idb: Record<string, Awaited<ReturnType<typeof dumpIndexedDb>>> = {};
    const pages: [string, Page][] = [['A (first device)', pageA], ['B', pageB], ['A (new device)', pageC]];
    for (const [name, page] of pages) idb[name] = await dumpIndexedDb(page);
    const places: Record<string, string> = { database: db.text };
    for (const [name, page] of pages) {
      places[`IndexedDB of ${name}`] = idb[name]!.text;
      places[`Cache and Web Storage of ${name}`] = await dumpOtherStorage(page);
    }
    queuedDumps.forEach((d, i) => (places[`IndexedDB of B with a queued outbox (${i + 1})`] = d));

    // The dumps are real: they hold the data, as ciphertext.
    expect(db.tables.log_entries).toBeGreaterThanOrEqual(texts.length);
    expect(Object.keys(db.tables)).toEqual(expect.arrayContaining(['users', 'user_keys', 'sessions', 'conversations', 'log_entries']));
    const anEnvelope = (await stack.database.query<{ c: string }>(`SELECT body->>'encryptedContent' AS c FROM log_entries WHERE kind = 'message' LIMIT 1`)).rows[0]!.c;
    for (const name of Object.keys(idb)) {
      expect(idb[name]!.stores['messagehub/log']).toBeGreaterThan(0);
      expect(idb[name]!.text).toContain('encryptedContent');
      // Private keys live only as non-extractable CryptoKeys.
      expect(idb[name]!.text).toContain('"cryptoKey"');
      expect(idb[name]!.extractablePrivateKeys).toBe(0);
    }
    expect(idb['A (new device)']!.text).toContain(anEnvelope);
    for (const d of queuedDumps) expect(d).toContain('"status":"queued"');
    // And the search finds bytes in the spellings it looks for: A's public signing key is in both.
    const publicKey = spellings(fromBase64Url(ada.identity.public.signingKey));
    expect(publicKey.some((f) => places.database!.includes(f))).toBe(true);
    expect(publicKey.some((f) => places['IndexedDB of B']!.includes(f))).toBe(true);

    const found: string[] = [];
    for (const [secret, forms] of Object.entries(secrets)) {
      for (const [place, text] of Object.entries(places)) {
        for (const form of forms) if (text.includes(form)) found.push(`${secret} in ${place} (as ${form.slice(0, 24)}…)`);
      }
    }
    expect(found).toEqual([]);
    expect(people.errors).toEqual([]);
  });
});
