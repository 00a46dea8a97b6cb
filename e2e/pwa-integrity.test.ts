// Attacks on the stored data, made directly in the database as the superuser, are shown
// in the UI: a changed ciphertext as an inline warning, a substituted directory key as a
// blocked composer until the user reviews the key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { startStack, type Stack } from './support/stack.ts';
// send() waits until the message is sealed and shown, so a reload right after cannot race it.
import { send, message } from './support/journeys.ts';

const PASS = 'correct horse battery staple 42';

async function createAccount(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('onboarding-username').fill(name);
  await page.getByTestId('onboarding-passphrase').fill(PASS);
  await page.getByTestId('onboarding-passphrase-confirm').fill(PASS);
  await page.getByTestId('onboarding-create').click();
  const link = page.getByTestId('download-keyfile');
  await link.waitFor({ timeout: 60_000 });
  await Promise.all([page.waitForEvent('download'), link.click()]);
  await page.getByTestId('keyfile-saved').check();
  await page.getByTestId('onboarding-continue').click();
  await page.getByTestId('start-username').waitFor();
}

async function openWith(page: Page, other: string): Promise<void> {
  const item = page.locator(`[data-testid="conversation-item"][data-title="${other}"]`);
  // The first conversation from a stranger is a message request (THREATS L3): accept it.
  const request = page.locator(`[data-testid="request-item"][data-title="${other}"]`);
  await item.or(request).first().waitFor({ timeout: 20_000 });
  if ((await item.count()) === 0) {
    await request.click();
    await page.getByTestId('request-accept').click();
  } else await item.click();
  await page.locator('[data-testid="conversation-title"]', { hasText: other }).waitFor();
}



describe('pwa integrity warnings in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ctxA: BrowserContext;
  let ctxB: BrowserContext;
  let pageA: Page;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    ctxA = await browser.newContext();
    ctxB = await browser.newContext();
    pageA = await ctxA.newPage();
    await createAccount(pageA, stack.url, 'alice');
    const pageB = await ctxB.newPage();
    await createAccount(pageB, stack.url, 'bob');
    await pageA.getByTestId('start-username').fill('bob');
    await pageA.getByTestId('start-conversation').click();
    await send(pageA, 'first');
    await openWith(pageB, 'alice');
    await message(pageB, 'first').waitFor({ timeout: 15_000 });
    await pageB.close();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows a ciphertext changed in the database as an inline warning, not as a message', async () => {
    await send(pageA, 'tamper me');
    await expect.poll(() => message(pageA, 'tamper me').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/sent|delivered/);
    const db = stack.database;
    const { rows } = await db.query<{ conversation_id: string; seq: string; body: string }>(
      `SELECT conversation_id, seq, body::text AS body FROM log_entries WHERE kind = 'message' ORDER BY seq DESC LIMIT 1`,
    );
    const row = rows[0]!;
    const env = JSON.parse(row.body);
    const c = env.encryptedContent as string;
    env.encryptedContent = c.slice(0, 10) + (c[10] === 'A' ? 'B' : 'A') + c.slice(11);
    await db.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
    try {
      await db.query('UPDATE log_entries SET body = $1::json WHERE conversation_id = $2 AND seq = $3', [JSON.stringify(env), row.conversation_id, row.seq]);
    } finally {
      await db.query('ALTER TABLE log_entries ENABLE TRIGGER log_entries_append_only');
    }
    const pageB = await ctxB.newPage();
    await pageB.goto(stack.url);
    await openWith(pageB, 'alice');
    const warning = pageB.locator('[data-testid="integrity-warning"][data-kind="bad-signature"]');
    await warning.waitFor({ timeout: 20_000 });
    expect(await warning.textContent()).toMatch(/not signed by alice/);
    expect(await pageB.getByText('tamper me', { exact: true }).count()).toBe(0);
    await pageB.close();
  });

  it('blocks sending after the directory swaps bob\'s key, until alice reviews and accepts it', async () => {
    const db = stack.database;
    const alice = await db.query<{ public_identity: Record<string, unknown> }>(
      `SELECT k.public_identity FROM user_keys k JOIN users u ON u.id = k.user_id WHERE u.user_id = 'alice'`,
    );
    const forged = { ...alice.rows[0]!.public_identity, userId: 'bob' };
    await db.query(
      `INSERT INTO user_keys (user_id, version, public_identity, proof)
       SELECT id, 2, $1::jsonb, 'forged' FROM users WHERE user_id = 'bob'`,
      [JSON.stringify(forged)],
    );
    await pageA.reload();
    await openWith(pageA, 'bob');
    const blocked = pageA.getByTestId('sending-blocked');
    await blocked.waitFor({ timeout: 20_000 });
    expect(await blocked.textContent()).toMatch(/bob's key has changed/);
    expect(await pageA.getByTestId('composer-send').isDisabled()).toBe(true);
    await pageA.getByTestId('review-key').click();
    await pageA.getByTestId('key-changed').waitFor();
    expect(await pageA.getByTestId('key-history').locator('li').count()).toBe(2);
    await pageA.getByTestId('accept-key').click();
    await expect.poll(() => pageA.getByTestId('key-changed').count()).toBe(0);
    await pageA.getByTestId('contact-back').click();
    await expect.poll(() => pageA.getByTestId('sending-blocked').count(), { timeout: 10_000 }).toBe(0);
    expect(await pageA.getByTestId('composer-send').isDisabled()).toBe(false);
    // The next message first re-keys the conversation for the accepted key (a new signed epoch).
    await send(pageA, 'after the review');
    await expect.poll(() => message(pageA, 'after the review').getAttribute('data-state'), { timeout: 15_000 }).toMatch(/sent|delivered/);
    const epochs = await db.query(`SELECT count(*)::int AS n FROM log_entries WHERE kind = 'epoch'`);
    expect(epochs.rows[0].n).toBe(2);
  });
});
