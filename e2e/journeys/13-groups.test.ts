// Journey 12 — groups (issue 14; SPEC GRP1..GRP5, THREATS M1, L2, L9): ada creates the group
// "Climbing ⛰" with bea and carl (its name checked, and sealed so the server never sees it);
// the three chat; ada adds dan: everyone sees "ada added dan", dan accepts the request, is
// told earlier history was not shared and reads from then on; bea, not an admin, is offered
// no Add or Remove; ada removes carl, who reads and posts nothing after; bea leaves (GRP6),
// and reads nothing after; the directory serves another key for dan, and ada cannot send to
// the group until she reviews it.
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../protocol/src/index.ts';
import { identity } from '../../test/support/identities.ts';
import {
  SCREENSHOT_DIR, acceptRequestFrom, bodies, conversationItem, createAccount, message, personContext, requestItem, screenshotBoth, send, stateOf,
  until, userRowId, watchErrors, axeViolations,
} from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

const GROUP = 'Climbing ⛰';

function event(page: Page, kind: string, user = ''): ReturnType<Page['locator']> {
  return page.locator(`[data-testid="membership-event"] p[data-kind="${kind}"]${user ? `[data-user="${user}"]` : ''}`);
}

async function members(page: Page): Promise<string[]> {
  return page.locator('[data-testid="members-panel"] [data-testid="member"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-user') ?? ''));
}

const axe = axeViolations;

async function openMembers(page: Page): Promise<void> {
  if ((await page.getByTestId('members-panel').count()) === 0) await page.getByTestId('open-members').click();
  await page.getByTestId('members-panel').waitFor();
}

describe('journey 12: groups', () => {
  let people: TwoPeople;
  let ada: Page;
  let bea: Page;
  let carl: Page;
  let dan: Page;

  beforeAll(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    people = await twoPeople();
    ada = people.ada.page;
    bea = people.bea.page;
    const more = async (name: string) => {
      const page = await (await personContext(people.browser, people.stack.url)).newPage();
      watchErrors(page, people.errors);
      await createAccount(page, people.stack.url, name, `${name} passphrase: copper kites over quiet harbours`);
      return page;
    };
    [carl, dan] = await Promise.all([more('carl'), more('dan')]);
  });

  afterAll(async () => people?.close());

  it('ada creates a group: a name is needed, unknown people refuse it, then bea and carl find it by its name', async () => {
    await ada.getByTestId('open-new-group').click();
    await ada.getByTestId('group-members').fill('bea, carl');
    await ada.getByTestId('group-create').click();
    await ada.getByTestId('group-error').waitFor();
    expect(await ada.getByTestId('group-error').textContent()).toContain('Give the group a name');
    expect(await axe(ada)).toEqual([]);
    await screenshotBoth(ada, '13-group-new');
    await ada.getByTestId('group-name').fill(GROUP);
    await ada.getByTestId('group-members').fill('bea, carl, nobody-here');
    await ada.getByTestId('group-create').click();
    await until(async () => /nobody-here|not/i.test((await ada.getByTestId('group-error').textContent()) ?? ''), 'the unknown user refused', 20_000);
    await ada.getByTestId('group-members').fill('bea carl');
    await ada.getByTestId('group-create').click();
    await ada.getByTestId('composer-input').waitFor({ timeout: 20_000 });
    expect(await ada.getByTestId('conversation-title').textContent()).toBe(GROUP);
    await event(ada, 'group-created').waitFor({ timeout: 20_000 });
    expect(await event(ada, 'group-created').textContent()).toBe(`You created the group “${GROUP}” with bea, carl.`);
    // The server never sees the name: not in any stored log entry.
    const stored = await people.stack.database.query<{ body: unknown }>('SELECT body FROM log_entries');
    expect(JSON.stringify(stored.rows)).not.toContain('Climbing');

    for (const p of [bea, carl]) {
      await requestItem(p, GROUP).waitFor({ timeout: 20_000 });
      await acceptRequestFrom(p, GROUP);
      expect(await p.getByTestId('conversation-title').textContent()).toBe(GROUP);
      expect(await event(p, 'group-created').textContent()).toBe(`ada created the group “${GROUP}” with ${p === bea ? 'you, carl' : 'bea, you'}.`);
    }
    await screenshotBoth(bea, '13-group-created');
  });

  it('the three chat; ada sees how many received each message', async () => {
    await send(ada, 'first, from ada');
    await send(bea, 'second, from bea');
    await send(carl, 'third, from carl');
    for (const p of [ada, bea, carl]) {
      for (const t of ['first, from ada', 'second, from bea', 'third, from carl']) await message(p, t).waitFor({ timeout: 20_000 });
    }
    await expect.poll(() => message(ada, 'first, from ada').getByTestId('message-state').textContent(), { timeout: 20_000 }).toBe('Delivered to 2 of 2');
    // The list's preview of a group says who wrote the last message (session 9: it did not).
    await expect.poll(() => conversationItem(ada, GROUP).getByTestId('conversation-preview').textContent(), { timeout: 20_000 })
      .toMatch(/^(bea: second, from bea|carl: third, from carl)$/);
  });

  it('bea, not an admin, is offered no Add or Remove; ada adds dan, everyone sees it, dan reads from then on', async () => {
    await openMembers(bea);
    expect(await members(bea)).toEqual(['ada', 'bea', 'carl']);
    expect(await bea.locator('[data-testid="member"][data-user="ada"]').getAttribute('data-admin')).toBe('true');
    expect(await bea.getByTestId('member-add-input').count()).toBe(0);
    expect(await bea.getByTestId('member-remove').count()).toBe(0);
    expect(await bea.getByTestId('members-admins-only').count()).toBe(1);
    expect(await bea.getByTestId('member-safety-number').count()).toBe(2);
    expect(await axe(bea)).toEqual([]);
    await screenshotBoth(bea, '13-group-members');

    await openMembers(ada);
    // Someone already in the group: said so, the field kept (it used to empty and say nothing).
    await ada.getByTestId('member-add-input').fill(' @Bea ');
    await ada.getByTestId('member-add').click();
    expect(await ada.getByTestId('members-error').textContent()).toBe('bea is already a member.');
    expect(await ada.getByTestId('member-add-input').inputValue()).toBe(' @Bea ');
    await ada.getByTestId('member-add-input').fill('dan');
    await ada.getByTestId('member-add').click();
    await until(async () => (await members(ada)).includes('dan'), "dan in ada's member list", 20_000);
    for (const p of [ada, bea, carl]) await event(p, 'member-added', 'dan').waitFor({ timeout: 20_000 });
    expect(await event(bea, 'member-added', 'dan').textContent()).toBe('ada added dan.');

    await acceptRequestFrom(dan, GROUP);
    await event(dan, 'joined').waitFor({ timeout: 20_000 });
    expect(await event(dan, 'joined').textContent()).toContain('Earlier history was not shared with you');
    await send(bea, 'welcome dan, from bea');
    await message(dan, 'welcome dan, from bea').waitFor({ timeout: 20_000 });
    await send(dan, 'hello group, from dan');
    for (const p of [ada, bea, carl]) await message(p, 'hello group, from dan').waitFor({ timeout: 20_000 });
    expect((await bodies(dan)).filter((b) => ['first, from ada', 'second, from bea', 'third, from carl'].includes(b))).toEqual([]);
  });

  it('ada removes carl: the others see it; carl reads and posts nothing after', async () => {
    await ada.locator('[data-testid="member"][data-user="carl"] [data-testid="member-remove"]').click();
    await ada.getByTestId('member-remove-confirm').click();
    await until(async () => !(await members(ada)).includes('carl'), "carl gone from ada's member list", 20_000);
    for (const p of [ada, bea, dan]) await event(p, 'member-removed', 'carl').waitFor({ timeout: 20_000 });
    expect(await event(dan, 'member-removed', 'carl').textContent()).toBe('ada removed carl.');

    await send(carl, 'carl after removal');
    await expect.poll(() => stateOf(carl, 'carl after removal'), { timeout: 20_000 }).toBe('failed');
    await send(bea, 'after carl, from bea');
    for (const p of [ada, dan]) await message(p, 'after carl, from bea').waitFor({ timeout: 20_000 });
    expect(await message(ada, 'carl after removal').count()).toBe(0);
    await carl.reload();
    await conversationItem(carl, GROUP).click();
    await message(carl, 'hello group, from dan').waitFor({ timeout: 20_000 });
    await carl.waitForTimeout(1_500);
    expect(await bodies(carl)).not.toContain('after carl, from bea');
  });

  it('bea leaves: ada and dan see it; ada\'s next message re-keys first, and bea reads nothing after', async () => {
    await openMembers(bea);
    await bea.getByTestId('leave-group').click();
    await bea.getByTestId('leave-confirm').click();
    await bea.getByTestId('sending-blocked').waitFor({ timeout: 20_000 });
    expect(await event(bea, 'member-left', 'bea').textContent()).toBe('You left the group.');
    for (const p of [ada, dan]) await event(p, 'member-left', 'bea').waitFor({ timeout: 20_000 });
    expect(await event(dan, 'member-left', 'bea').textContent()).toBe('bea left the group.');
    await send(ada, 'after bea left, from ada');
    await message(dan, 'after bea left, from ada').waitFor({ timeout: 20_000 });
    await event(dan, 'rekeyed').waitFor({ timeout: 20_000 });
    await bea.waitForTimeout(1_500);
    expect(await bodies(bea)).not.toContain('after bea left, from ada');
  });

  it("a member's key change blocks sending to the group until ada reviews it", async () => {
    const danId = await userRowId(people.stack.database, 'dan');
    const fake = await identity('victor', 'dan');
    await people.stack.database.query(
      `INSERT INTO user_keys (user_id, version, public_identity, proof) SELECT $1, max(version) + 1, $2::jsonb, $3 FROM user_keys WHERE user_id = $1`,
      [danId, JSON.stringify(fake.public), toBase64Url(randomBytes(64))],
    );
    await ada.reload();
    await conversationItem(ada, GROUP).click();
    await ada.getByTestId('sending-blocked').waitFor({ timeout: 20_000 });
    expect(await ada.getByTestId('sending-blocked').textContent()).toContain("dan's key has changed");
    expect(await ada.getByTestId('composer-send').isDisabled()).toBe(true);
    await screenshotBoth(ada, '13-group-key-changed');
    await ada.locator('[data-testid="review-key"][data-user="dan"]').click();
    await ada.getByTestId('accept-key').click();
    await ada.getByTestId('contact-back').click();
    await expect.poll(() => ada.getByTestId('composer-send').isDisabled(), { timeout: 10_000 }).toBe(false);
    await send(ada, 'after reviewing dan');
    await expect.poll(() => stateOf(ada, 'after reviewing dan'), { timeout: 20_000 }).toMatch(/^(sent|delivered)$/);
    expect(people.errors).toEqual([]);
  });
});
