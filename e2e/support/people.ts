// The cast of most journeys: the real stack, one Chromium, and two people (ada and bea),
// each in their own browser context with their own page, errors collected. By default
// both have accounts (made through the real onboarding, in parallel); a journey about
// onboarding itself asks for `accounts: false` and makes them in its test.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchPersistent, sharedBrowser } from './browser.ts';
import type { Stack } from './stack.ts';
import {
  createAccount, openConversationWith, personContext, startConversation, startJourneyStack, watchErrors, withoutBackgroundSync,
} from './journeys.ts';

export const PASSPHRASES = {
  ada: 'ada passphrase: purple otter meets granite',
  bea: 'bea passphrase: seven quiet lanterns drift',
} as const;

export type PersonName = keyof typeof PASSPHRASES;

export interface PersonOptions extends BrowserContextOptions {
  /** false: a browser with no Background Sync at all (no permission, no SyncManager). */
  backgroundSync?: boolean;
}

export interface Person {
  name: PersonName;
  passphrase: string;
  ctx: BrowserContext;
  page: Page;
  /** The key file downloaded at sign-up ('' when the fixture made no account). */
  keyFile: string;
}

export interface TwoPeople {
  stack: Stack;
  browser: Browser;
  ada: Person;
  bea: Person;
  /** Uncaught page errors of every page watched so far (a journey expects none). */
  errors: string[];
  /** A new page in `person`'s context, watched for errors. */
  newPage(person: Person): Promise<Page>;
  /**
   * A new device: a fresh persistent profile (Background Sync granted), its page watched
   * for errors and open at the restore screen, with the URL of every request it made
   * (`requested`, growing). Closed and removed by close().
   */
  newDevice(): Promise<{ ctx: BrowserContext; page: Page; requested: string[] }>;
  close(): Promise<void>;
}

export async function twoPeople(opts: {
  ada?: PersonOptions;
  bea?: PersonOptions;
  /** Make both accounts through onboarding (default true). */
  accounts?: boolean;
  /** ada starts a conversation with bea, and bea opens it (needs accounts). */
  conversation?: boolean;
} = {}): Promise<TwoPeople> {
  // The stack and Chromium start side by side.
  const [stack, browser] = await Promise.all([startJourneyStack(), sharedBrowser()]);
  const errors: string[] = [];
  const person = async (name: PersonName, o: PersonOptions = {}): Promise<Person> => {
    const { backgroundSync = true, ...rest } = o;
    const ctx = await personContext(browser, stack.url, { ...rest, backgroundSync });
    if (!backgroundSync) await withoutBackgroundSync(ctx);
    const page = await ctx.newPage();
    watchErrors(page, errors);
    return { name, passphrase: PASSPHRASES[name], ctx, page, keyFile: '' };
  };
  const devices: { ctx: BrowserContext; profile: string }[] = [];
  const people: TwoPeople = {
    stack,
    browser,
    ada: await person('ada', opts.ada),
    bea: await person('bea', opts.bea),
    errors,
    async newPage(p) {
      const page = await p.ctx.newPage();
      watchErrors(page, errors);
      return page;
    },
    async newDevice() {
      const profile = await mkdtemp(path.join(os.tmpdir(), 'mh-device-'));
      const ctx = await launchPersistent(profile);
      devices.push({ ctx, profile });
      await ctx.grantPermissions(['background-sync'], { origin: stack.url });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      watchErrors(page, errors);
      const requested: string[] = [];
      ctx.on('request', (r) => requested.push(r.url()));
      await page.goto(stack.url);
      await page.getByTestId('go-restore').click();
      return { ctx, page, requested };
    },
    async close() {
      for (const d of devices) {
        await d.ctx.close().catch(() => undefined);
        await rm(d.profile, { recursive: true, force: true });
      }
      await people.ada.ctx.close().catch(() => undefined);
      await people.bea.ctx.close().catch(() => undefined);
      for (const ctx of browser.contexts()) await ctx.close().catch(() => undefined); // any a journey made itself
      await stack.stop();
    },
  };
  if (opts.accounts !== false) {
    // Two onboardings at once: each runs its own key generation and Argon2id.
    const [a, b] = await Promise.all([
      createAccount(people.ada.page, stack.url, 'ada', PASSPHRASES.ada),
      createAccount(people.bea.page, stack.url, 'bea', PASSPHRASES.bea),
    ]);
    people.ada.keyFile = a;
    people.bea.keyFile = b;
    if (opts.conversation) {
      await startConversation(people.ada.page, 'bea');
      await openConversationWith(people.bea.page, 'ada');
    }
  }
  return people;
}
