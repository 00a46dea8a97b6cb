import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags Chromium needs on this closed network (see the developers' guide). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Browser tests never skip: without Chromium they fail with a message saying how to install it. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH. Browser tests are part of npm test and never skipped.`,
    );
  }
}

export function launchOptions(extra: LaunchOptions = {}): LaunchOptions {
  assertChromium();
  return { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, ...extra };
}

export async function launchBrowser(extra: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch(launchOptions(extra));
}

let shared: Promise<Browser> | undefined;

/**
 * One Chromium for every journey a test worker runs (files share their worker, see
 * vitest.config.ts): each person gets a browser context of their own, which is a separate
 * profile (storage, service workers, permissions), so nothing carries over between
 * journeys. A launch cost ~0.37 s of CPU on this 2-core machine (issue 11). Launched again
 * if it went away; Playwright kills it when the worker exits. Never close it: close contexts.
 */
export function sharedBrowser(): Promise<Browser> {
  shared ??= launchBrowser().then((b) => {
    b.on('disconnected', () => { shared = undefined; });
    return b;
  });
  return shared.then((b) => (b.isConnected() ? b : ((shared = undefined), sharedBrowser())));
}

/** A persistent profile: needed for installability checks and "new device" journeys. */
export async function launchPersistent(userDataDir: string, extra: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<BrowserContext> {
  assertChromium();
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    ...extra,
  });
}
