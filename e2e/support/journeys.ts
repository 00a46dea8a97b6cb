// Helpers shared by the user journeys (e2e/journeys/**): the app driven the way a person
// uses it (test ids from pwa/src/components), plus the attacker's and the seeder's side
// in Node through protocol/ and the real API.
import { expect } from 'vitest';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, CDPSession, Locator, Page } from 'playwright-core';
import { createEpoch, signLoginProof, signRegistration, type EpochRecord, type Envelope, type Identity } from '../../protocol/src/index.ts';
import { Api } from '../../pwa/src/services/api.ts';
import type { TestDatabase } from '../../test/support/database.ts';
import { identity as fixtureIdentity, type Name } from '../../test/support/identities.ts';
import { Chain } from '../../test/support/service.ts';
import { runAxe } from './axe.ts';
import { DIST_DIR, startStack, type Stack } from './stack.ts';

export const SCREENSHOT_DIR = new URL('../../screenshots/journeys/', import.meta.url).pathname;

/**
 * The real stack, serving a private snapshot of the built app: in a shared working tree
 * another run may rebuild dist/pwa (emptying it first) while a journey is loading pages.
 * The snapshot is taken again until it is whole (every asset that index.html and sw.js
 * name is present), and removed when the stack stops.
 */
export async function startJourneyStack(): Promise<Stack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-journey-dist-'));
  for (let attempt = 0; ; attempt++) {
    await rm(dir, { recursive: true, force: true });
    await cp(DIST_DIR, dir, { recursive: true }).catch(() => undefined);
    if (await wholeBuild(dir)) break;
    if (attempt >= 60) throw new Error(`no complete build of the app in ${DIST_DIR}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const stack = await startStack({ staticDir: dir });
  const stop = stack.stop.bind(stack);
  stack.stop = async () => {
    try {
      await stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  return stack;
}

async function wholeBuild(dir: string): Promise<boolean> {
  try {
    if (!existsSync(path.join(dir, 'index.html')) || !existsSync(path.join(dir, 'sw.js'))) return false;
    const named = new Set<string>();
    for (const f of ['index.html', 'sw.js']) {
      for (const m of (await readFile(path.join(dir, f), 'utf8')).matchAll(/assets\/[\w.-]+\.(?:js|css|wasm)/g)) named.add(m[0]);
    }
    const present = new Set((await readdir(path.join(dir, 'assets'))).map((f) => `assets/${f}`));
    return named.size > 0 && [...named].every((a) => present.has(a));
  } catch {
    return false;
  }
}

/** A context for one person: Background Sync granted (granting replaces the whole set). */
export async function personContext(browser: Browser, url: string, opts: BrowserContextOptions & { backgroundSync?: boolean } = {}): Promise<BrowserContext> {
  const { backgroundSync = true, ...rest } = opts;
  const ctx = await browser.newContext(rest);
  if (backgroundSync) await ctx.grantPermissions(['background-sync'], { origin: url });
  return ctx;
}

/** Removes Background Sync before the app loads: the page's own fallback must do the sending. */
export async function withoutBackgroundSync(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const g = globalThis as unknown as Record<string, unknown>;
    delete g.SyncManager;
    const proto = (globalThis as unknown as { ServiceWorkerRegistration?: { prototype: object } }).ServiceWorkerRegistration?.prototype;
    if (proto && 'sync' in proto) delete (proto as Record<string, unknown>).sync;
  });
}

/** Collects uncaught page errors (a journey expects none). */
export function watchErrors(page: Page, into: string[]): void {
  page.on('pageerror', (e) => into.push(`${page.url()}: ${e.message}`));
}

/** Onboarding through the UI; returns the downloaded key file's text. */
export async function createAccount(page: Page, url: string, name: string, passphrase: string): Promise<string> {
  await page.goto(url);
  await page.getByTestId('onboarding-username').fill(name);
  await page.getByTestId('onboarding-passphrase').fill(passphrase);
  await page.getByTestId('onboarding-passphrase-confirm').fill(passphrase);
  await page.getByTestId('onboarding-create').click();
  const link = page.getByTestId('download-keyfile');
  await link.waitFor({ timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const keyFile = await readFile((await download.path())!, 'utf8');
  await page.getByTestId('keyfile-saved').check();
  await page.getByTestId('onboarding-continue').click();
  await page.getByTestId('start-username').waitFor({ timeout: 30_000 });
  return keyFile;
}

/** On the restore screen: chooses `keyFile` (its text) and submits it with `passphrase`. */
export async function submitRestore(page: Page, keyFile: string, passphrase: string, fileName = 'messagehub-ada.keyfile.json'): Promise<void> {
  await page.getByTestId('restore-keyfile').setInputFiles({ name: fileName, mimeType: 'application/json', buffer: Buffer.from(keyFile) });
  await page.getByTestId('restore-passphrase').fill(passphrase);
  await page.getByTestId('restore-submit').click();
}

/**
 * After a restore was submitted: the most recent conversations open on the list at once and
 * older history streams in (issue 18); waits for the summary notice on the list, once the
 * whole history is in (`restore-summary`, `restore-continue` dismisses it).
 */
export async function awaitRestored(page: Page, timeout = 120_000): Promise<void> {
  await page.getByTestId('restore-summary').waitFor({ timeout });
}

export async function startConversation(page: Page, other: string): Promise<void> {
  await page.getByTestId('start-username').fill(other);
  await page.getByTestId('start-conversation').click();
  // Wait for THIS conversation, not for any composer: with another conversation open, its
  // composer is already there while the new one is still being created (keys, first epoch),
  // and the app switches when that is done, possibly in the middle of the caller's next
  // step (journey 12 once typed Bea's draft into the textarea just as it became Cyd's).
  const title = page.getByTestId('conversation-title');
  await until(async () => (await title.count()) > 0 && (await title.textContent())?.trim() === other.trim().toLowerCase()
    && (await page.getByTestId('composer-input').count()) > 0, `the new conversation with ${other} to open`, 20_000);
}

/**
 * Links a new device by code (SPEC §12b): `newPage` (a fresh profile at the restore screen,
 * as `newDevice()` leaves it) shows its code; on `existing`, Settings > Link a new device
 * takes it; then the passphrase is typed on the new device. Leaves `existing` in Settings.
 */
export async function linkByCode(existing: Page, newPage: Page, passphrase: string): Promise<void> {
  await newPage.getByTestId('go-link').click();
  const shown = newPage.getByTestId('link-code');
  await shown.waitFor({ timeout: 20_000 });
  const code = await shown.getAttribute('data-code');
  if (!code) throw new Error('the new device shows no link code');
  await existing.getByTestId('open-settings').click();
  // "Link a new device" appears with the device list, never above a list still loading that
  // would push it down under the pointer (journey 16 once clicked what moved there).
  await existing.getByTestId('link-new-device').waitFor({ timeout: 15_000 });
  expect(await existing.getByTestId('device-list').count()).toBe(1);
  await existing.getByTestId('link-new-device').click();
  await existing.getByTestId('link-code-input').fill(code);
  await existing.getByTestId('link-send').click();
  await existing.getByTestId('link-sent').waitFor({ timeout: 15_000 });
  await newPage.getByTestId('restore-passphrase').waitFor({ timeout: 20_000 });
  await newPage.getByTestId('restore-passphrase').fill(passphrase);
  await newPage.getByTestId('restore-submit').click();
}

export function conversationItem(page: Page, title: string): Locator {
  return page.locator(`[data-testid="conversation-item"][data-title="${title}"]`);
}

/** A message request (THREATS L3): a conversation from someone the user never talked to. */
export function requestItem(page: Page, title: string): Locator {
  return page.locator(`[data-testid="request-item"][data-title="${title}"]`);
}

/** Open the request from `title` and accept it: it becomes a normal conversation. */
export async function acceptRequestFrom(page: Page, title: string): Promise<void> {
  const request = requestItem(page, title);
  await request.waitFor({ timeout: 20_000 });
  await request.click();
  await page.getByTestId('request-accept').click();
  await page.getByTestId('composer-input').waitFor();
}

/** Open the conversation with `title`; the first one from a stranger arrives as a request, accepted here. */
export async function openConversationWith(page: Page, title: string): Promise<void> {
  const item = conversationItem(page, title);
  const request = requestItem(page, title);
  await until(async () => (await item.count()) > 0 || (await request.count()) > 0, `a conversation or request from ${title}`, 20_000);
  if ((await item.count()) === 0) await acceptRequestFrom(page, title);
  else await item.click();
  await page.getByTestId('composer-input').waitFor();
  await until(async () => (await page.getByTestId('conversation-title').textContent()) === title, `the conversation with ${title} to open`);
}

/**
 * Turns a Settings checkbox (by test id) on or off, then goes back to the conversation with
 * `back` (the app may return to the list: the conversation is opened again until it shows).
 */
export async function setSettingsSwitch(page: Page, testId: string, on: boolean, back: string): Promise<void> {
  await page.getByTestId('open-settings').click();
  const box = page.getByTestId(testId);
  await box.waitFor();
  await box.setChecked(on);
  await page.getByTestId('settings-back').click();
  await until(async () => {
    if ((await page.getByTestId('conversation-title').count()) && (await page.getByTestId('conversation-title').textContent()) === back) return true;
    await conversationItem(page, back).click().catch(() => undefined);
    return false;
  }, `the conversation with ${back} to open`);
}

/** Polls until `check` is true (usable in hooks, unlike expect.poll). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer-input').fill(text);
  await page.getByTestId('composer-send').click();
  // Sealed and shown at once (queued or already sent), online or not.
  await message(page, text).first().waitFor({ timeout: 10_000 });
}

/** The message bubbles whose body is exactly `text`. */
export function message(page: Page, text: string): Locator {
  return page.locator('[data-testid="message"]', { has: page.getByText(text, { exact: true }) });
}

export async function bodies(page: Page): Promise<string[]> {
  return page.getByTestId('message-body').allTextContents();
}

export async function stateOf(page: Page, text: string): Promise<string | null> {
  return message(page, text).first().getAttribute('data-state');
}

/** The bearer token this page's app holds (IndexedDB `session`), read the way the service worker does. */
export function storedToken(page: Page): Promise<string | null> {
  return page.evaluate(
    () => new Promise<string | null>((resolve) => {
      const open = indexedDB.open('messagehub');
      open.onsuccess = () => {
        const get = open.result.transaction('session').objectStore('session').get('current');
        get.onsuccess = () => resolve((get.result as { token?: string } | undefined)?.token ?? null);
        get.onerror = () => resolve(null);
      };
      open.onerror = () => resolve(null);
    }),
  );
}

/** The two screen sizes every journey checks: a phone and a desktop. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** axe on the page as it is now: one "rule: targets" line per violation (none: []). */
export async function axeViolations(page: Page): Promise<string[]> {
  const r = await runAxe(page, { resultTypes: ['violations'] });
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

/** axe on the screen as it is, light and dark: no violations (the page is left light). */
export async function axeClean(page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect((await axeViolations(page)).map((v) => `${what} (${colorScheme}): ${v}`)).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** A full-page screenshot at phone (390×844) and desktop (1280×800) size into screenshots/journeys. */
export async function screenshotBoth(page: Page, name: string): Promise<string[]> {
  const files: string[] = [];
  const original = page.viewportSize();
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(100);
    const file = `${SCREENSHOT_DIR}${name}-${size}.png`;
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
    files.push(file);
  }
  if (original) await page.setViewportSize(original);
  return files;
}

/** A CDP session on the page, with the service worker domain enabled and its registration id. */
export async function serviceWorkerCdp(page: Page): Promise<{ cdp: CDPSession; registrationId: () => Promise<string> }> {
  const cdp = await page.context().newCDPSession(page);
  let id: string | undefined;
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; isDeleted: boolean }[] }) => {
    for (const r of e.registrations) if (!r.isDeleted) id = r.registrationId;
  });
  await cdp.send('ServiceWorker.enable');
  return {
    cdp,
    async registrationId() {
      await until(() => id !== undefined, 'the service worker registration');
      return id!;
    },
  };
}

/** Fires the service worker's Background Sync at once (Chromium would back off for minutes). */
export async function dispatchSync(page: Page, origin: string, tag = 'outbox-flush'): Promise<void> {
  const { cdp, registrationId } = await serviceWorkerCdp(page);
  try {
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: await registrationId(), tag, lastChance: false });
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

// ---- at rest --------------------------------------------------------------------------

/**
 * Every record of every store of every IndexedDB database of the page's origin, as
 * text: binary data as hex and base64, CryptoKeys described (never their bytes, which
 * cannot be read unless extractable — reported as `extractable`).
 */
export async function dumpIndexedDb(page: Page): Promise<{ text: string; stores: Record<string, number>; extractablePrivateKeys: number }> {
  return page.evaluate(async () => {
    const hex = (u: Uint8Array) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');
    const b64 = (u: Uint8Array) => {
      let s = '';
      for (const b of u) s += String.fromCharCode(b);
      return btoa(s);
    };
    let extractablePrivateKeys = 0;
    const ser = (v: unknown): unknown => {
      if (v instanceof ArrayBuffer) return { hex: hex(new Uint8Array(v)), b64: b64(new Uint8Array(v)) };
      if (ArrayBuffer.isView(v)) {
        const u = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        return { hex: hex(u), b64: b64(u) };
      }
      if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) {
        if (v.type !== 'public' && v.extractable) extractablePrivateKeys++;
        return { cryptoKey: { type: v.type, extractable: v.extractable, algorithm: v.algorithm, usages: v.usages } };
      }
      if (v instanceof Blob) return { blob: v.size };
      if (Array.isArray(v)) return v.map(ser);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ser(x)]));
      return v;
    };
    const stores: Record<string, number> = {};
    const out: Record<string, unknown> = {};
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const name of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((res, rej) => {
          const r = db.transaction(name).objectStore(name).getAll();
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        stores[`${info.name}/${name}`] = rows.length;
        out[`${info.name}/${name}`] = rows.map(ser);
      }
      db.close();
    }
    return { text: JSON.stringify(out), stores, extractablePrivateKeys };
  });
}

/** The number of records in all stores of the app's database (`messagehub`) as the page opens it. */
export async function countIndexedDbRows(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('messagehub');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const names = Array.from(db.objectStoreNames);
          if (names.length === 0) return resolve(0);
          const tx = db.transaction(names);
          let total = 0;
          let pending = names.length;
          for (const n of names) {
            const c = tx.objectStore(n).count();
            c.onsuccess = () => {
              total += c.result;
              if (--pending === 0) resolve(total);
            };
          }
        };
      }),
  );
}

/** Every row of every table of the public schema, all columns cast to text. */
export async function dumpDatabase(db: TestDatabase): Promise<{ text: string; tables: Record<string, number> }> {
  const names = await db.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  const tables: Record<string, number> = {};
  const parts: string[] = [];
  for (const { tablename } of names.rows) {
    const rows = await db.query<{ t: string }>(`SELECT t::text AS t FROM public."${tablename}" t`);
    tables[tablename] = rows.rowCount ?? 0;
    for (const r of rows.rows) parts.push(`${tablename}: ${r.t}`);
  }
  return { text: parts.join('\n'), tables };
}

/** The ways a secret could appear in a dump: as itself, as UTF-8 hex, as base64/base64url. */
export function spellings(secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const out = [bytes.toString('hex'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
  if (typeof secret === 'string') out.push(secret, JSON.stringify(secret).slice(1, -1));
  return [...new Set(out)].filter((s) => s.length >= 8);
}

// ---- the seeder and the attacker, in Node --------------------------------------------

/**
 * A signed-in client in Node, through the same Api class the app uses; it seals with
 * the shared test chain (test/support/service.ts), one chain per conversation.
 */
export class NodeClient {
  readonly api: Api;
  private token: string | undefined;
  private chains = new Map<string, Chain>();

  constructor(readonly url: string, readonly identity: Identity) {
    this.api = new Api({ baseUrl: url, token: () => this.token });
  }

  /** A user registered in Node with fixture key set `keys` (no key generation, no key file). */
  static async register(url: string, userName: string, keys: Name): Promise<NodeClient> {
    const identity = await fixtureIdentity(keys, userName.toLowerCase());
    const api = new Api({ baseUrl: url });
    await api.register(userName, identity.public, await signRegistration(identity));
    const client = new NodeClient(url, identity);
    await client.login();
    return client;
  }

  async login(): Promise<void> {
    const ch = await this.api.challenge(this.identity.userId, this.url);
    const proof = await signLoginProof(this.identity, { nonce: ch.nonce, origin: this.url });
    this.token = (await this.api.login(ch.challengeId, proof, 'e2e seeder')).token;
  }

  /** A new conversation (epoch 0) with the given users, keys taken from the directory. */
  async createConversation(others: string[]): Promise<{ conversationId: string; record: EpochRecord; key: CryptoKey }> {
    const members = [this.identity.public];
    for (const u of others) members.push((await this.api.keys(u)).current.identity);
    const conversationId = crypto.randomUUID();
    const { record, key } = await createEpoch({ conversationId, epoch: 0, creator: this.identity, members, previous: null });
    await this.api.createConversation(record);
    return { conversationId, record, key };
  }

  /** Seals texts as this user in a conversation, continuing this client's own chain. */
  async seal(conversationId: string, epoch: number, key: CryptoKey, texts: { body: string; composedAt: number }[]): Promise<Envelope[]> {
    let chain = this.chains.get(conversationId);
    if (!chain) this.chains.set(conversationId, (chain = new Chain(this.identity, { id: conversationId, key, epoch })));
    const out: Envelope[] = [];
    for (const t of texts) out.push(await chain.next(t.body, { composedAt: t.composedAt }));
    return out;
  }

  async sendBatch(envelopes: Envelope[]): Promise<void> {
    for (let i = 0; i < envelopes.length; i += 500) {
      const { results } = await this.api.batch(envelopes.slice(i, i + 500));
      const bad = results.filter((r) => r.status === 'rejected');
      if (bad.length) throw new Error(`seeding rejected: ${JSON.stringify(bad[0])}`);
    }
  }
}

/** `n` messages sealed in turns, `first` on even and `second` on odd turns, in turn order (not yet sent). */
export async function sealInTurns(
  first: NodeClient, second: NodeClient, conv: { conversationId: string; key: CryptoKey }, n: number,
  text: (i: number) => { body: string; composedAt: number },
): Promise<{ by: NodeClient; body: string; envelope: Envelope }[]> {
  const out: { by: NodeClient; body: string; envelope: Envelope }[] = [];
  for (let i = 0; i < n; i++) {
    const by = i % 2 === 0 ? first : second;
    const t = text(i);
    const [envelope] = await by.seal(conv.conversationId, 0, conv.key, [t]);
    out.push({ by, body: t.body, envelope: envelope! });
  }
  return out;
}

/** The service's internal id of a user (for playing the attacker in SQL). */
export async function userRowId(db: TestDatabase, userId: string): Promise<string> {
  const r = await db.query<{ id: string }>('SELECT id FROM users WHERE user_id = $1', [userId]);
  if (!r.rows[0]) throw new Error(`no user ${userId}`);
  return r.rows[0].id;
}

/** Runs SQL as the superuser with the append-only triggers of log_entries and user_keys off. */
export async function asAttacker(db: TestDatabase, sql: string, params: unknown[] = []): Promise<void> {
  await db.query(
    `DO $$ BEGIN
       ALTER TABLE log_entries DISABLE TRIGGER USER;
       ALTER TABLE user_keys DISABLE TRIGGER USER;
     END $$;`,
  );
  try {
    await db.query(sql, params);
  } finally {
    await db.query(`ALTER TABLE log_entries ENABLE TRIGGER USER; ALTER TABLE user_keys ENABLE TRIGGER USER;`);
  }
}
