// Journey 11 — members over time (issue 13, THREATS L2 and L9): ada and bea chat; ada adds
// carl from the Members panel, and everyone sees "ada added carl"; carl, who never talked to
// them, finds the conversation as a message request, is told earlier history was not shared,
// reads what was sent after he was added and nothing before; ada removes bea, and ada and carl
// see it; bea's client reads nothing sent after that and cannot post; ada and carl go on.
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCREENSHOT_DIR, acceptRequestFrom, bodies, createAccount, message, openConversationWith, personContext, requestItem, screenshotBoth, send, stateOf, until, watchErrors, axeViolations,
} from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

const CARL_PASS = 'carl passphrase: amber gulls above slate roofs';

/** axe over the whole conversation screen, the Members panel open in it. */
async function axe(page: Page): Promise<string[]> {
  await page.getByTestId('members-panel').waitFor();
  return axeViolations(page);
}

/** The timeline's membership event of `kind` about `user` ('' for none). */
function event(page: Page, kind: string, user = ''): ReturnType<Page['locator']> {
  return page.locator(`[data-testid="membership-event"] p[data-kind="${kind}"]${user ? `[data-user="${user}"]` : ''}`);
}

async function members(page: Page): Promise<string[]> {
  return page.locator('[data-testid="members-panel"] [data-testid="member"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-user') ?? ''));
}

describe('journey 11: members added and removed', () => {
  let people: TwoPeople;
  let ada: Page;
  let bea: Page;
  let carl: Page;

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople({ conversation: true });
    ada = people.ada.page;
    bea = people.bea.page;
    const ctx = await personContext(people.browser, people.stack.url);
    carl = await ctx.newPage();
    watchErrors(carl, people.errors);
    await createAccount(carl, people.stack.url, 'carl', CARL_PASS);
  });

  afterAll(async () => people?.close());

  it('ada and bea chat before carl is added', async () => {
    await send(ada, 'before carl, from ada');
    await send(bea, 'before carl, from bea');
    await message(ada, 'before carl, from bea').waitFor({ timeout: 20_000 });
    await message(bea, 'before carl, from ada').waitFor({ timeout: 20_000 });
  });

  it('the Members panel lists who is in the conversation and refuses an unknown user plainly', async () => {
    await ada.getByTestId('open-members').click();
    expect(await ada.getByTestId('open-members').getAttribute('aria-expanded')).toBe('true');
    expect(await members(ada)).toEqual(['ada', 'bea']);
    expect(await ada.locator('[data-testid="member"][data-user="ada"] [data-testid="member-remove"]').count()).toBe(0);
    // By keyboard: the field is labelled, Enter submits.
    await ada.getByLabel('Add someone (user name)').fill('nobody-here');
    await ada.getByLabel('Add someone (user name)').press('Enter');
    await ada.getByTestId('members-error').waitFor({ timeout: 20_000 });
    expect(await members(ada)).toEqual(['ada', 'bea']);
    expect(await axe(ada)).toEqual([]);
    await screenshotBoth(ada, '11-members-panel');
  });

  it('ada adds carl: ada and bea see the event, carl gets a request and reads from then on', async () => {
    await ada.getByTestId('member-add-input').fill('carl');
    await ada.getByTestId('member-add').click();
    await until(async () => (await members(ada)).includes('carl'), 'carl in ada\'s member list', 20_000);
    expect(await ada.getByTestId('members-error').count()).toBe(0);
    await event(ada, 'member-added', 'carl').waitFor({ timeout: 20_000 });
    await event(bea, 'member-added', 'carl').waitFor({ timeout: 20_000 });
    expect(await event(bea, 'member-added', 'carl').textContent()).toBe('ada added carl.');
    expect(await event(ada, 'member-added', 'carl').textContent()).toBe('You added carl.');

    // Carl never talked to either of them: the conversation waits as a request.
    await requestItem(carl, 'ada, bea').waitFor({ timeout: 20_000 });
    await acceptRequestFrom(carl, 'ada, bea');
    await event(carl, 'joined').waitFor({ timeout: 20_000 });
    expect(await event(carl, 'joined').textContent()).toContain('Earlier history was not shared with you');

    await send(ada, 'after carl, from ada');
    await message(carl, 'after carl, from ada').waitFor({ timeout: 20_000 });
    await message(bea, 'after carl, from ada').waitFor({ timeout: 20_000 });
    await send(carl, 'hello from carl');
    await message(ada, 'hello from carl').waitFor({ timeout: 20_000 });
    await message(bea, 'hello from carl').waitFor({ timeout: 20_000 });
    // Nothing from before he was added.
    const seen = await bodies(carl);
    expect(seen).toEqual(expect.arrayContaining(['after carl, from ada', 'hello from carl']));
    expect(seen.filter((b) => b.startsWith('before carl'))).toEqual([]);
  });

  it('ada removes bea with a confirmation: ada and carl see it; bea reads and posts nothing after', async () => {
    expect(await members(ada)).toEqual(['ada', 'bea', 'carl']);
    await ada.locator('[data-testid="member"][data-user="bea"] [data-testid="member-remove"]').click();
    await ada.getByTestId('member-remove-confirmation').waitFor();
    expect(await axe(ada)).toEqual([]);
    await screenshotBoth(ada, '11-members-remove-confirm');
    // Cancel leaves bea in; then remove for real.
    await ada.getByTestId('member-remove-cancel').click();
    expect(await members(ada)).toEqual(['ada', 'bea', 'carl']);
    await ada.locator('[data-testid="member"][data-user="bea"] [data-testid="member-remove"]').click();
    await ada.getByTestId('member-remove-confirm').click();
    await until(async () => !(await members(ada)).includes('bea'), 'bea gone from ada\'s member list', 20_000);
    for (const p of [ada, carl]) await event(p, 'member-removed', 'bea').waitFor({ timeout: 20_000 });
    expect(await event(carl, 'member-removed', 'bea').textContent()).toBe('ada removed bea.');
    // Known gap (reported): the server rewrites the access list with the removing epoch, so
    // bea's client never receives the signed record and shows no "ada removed you" event.

    // Bea cannot post: the server refuses it, and her message says plainly it was not sent.
    await send(bea, 'bea after removal');
    await expect.poll(() => stateOf(bea, 'bea after removal'), { timeout: 20_000 }).toBe('failed');
    expect(await message(bea, 'bea after removal').getByTestId('integrity-warning').count()).toBe(1);

    // Ada and carl go on; bea reads none of it, even after a reload.
    await send(ada, 'after bea, from ada');
    await message(carl, 'after bea, from ada').waitFor({ timeout: 20_000 });
    await send(carl, 'after bea, from carl');
    await message(ada, 'after bea, from carl').waitFor({ timeout: 20_000 });
    expect(await message(ada, 'bea after removal').count()).toBe(0);
    expect(await message(carl, 'bea after removal').count()).toBe(0);
    await bea.reload();
    await openConversationWith(bea, 'ada, carl');
    await message(bea, 'hello from carl').waitFor({ timeout: 20_000 });
    await bea.waitForTimeout(2_000);
    expect((await bodies(bea)).filter((t) => t.startsWith('after bea'))).toEqual([]);

    await screenshotBoth(ada, '11-members-after-removal');
    expect(people.errors).toEqual([]);
  });
});
