// Driving the real PWA (pwa/src/components) by its data-testid selectors.
import type { Page } from 'playwright-core';
import type { SeededHistory } from '../seed.ts';

/**
 * Wait (polling every animation frame) until the conversation list shows n items;
 * returns the page's performance.now() at that frame (ms since navigation start).
 * Lit renders into shadow roots, so the predicate walks them. It is a function with no
 * named inner bindings: a string would be eval'd (refused by the app's CSP), and tsx
 * would wrap named ones in a helper that does not exist in the page.
 */
export async function waitForItems(page: Page, n: number, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(
    (want: number) => {
      const stack: (Document | ShadowRoot)[] = [document];
      let count = 0;
      while (stack.length) {
        const root = stack.pop()!;
        count += root.querySelectorAll('[data-testid="conversation-item"]').length;
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) stack.push(el.shadowRoot);
      }
      return count >= want && performance.now();
    },
    n,
    { timeout: timeoutMs, polling: 'raf' },
  );
  return Number(await handle.jsonValue());
}

export interface AppRestore {
  /** Restore pressed → list usable, seconds. */
  seconds: number;
  /** Restore pressed → summary shown, seconds. */
  toSummary: number;
  listed: number;
  messages: number;
  failed: number;
}

/** On the app's first screen: open "restore", give the key file and passphrase, restore, continue to the list. */
export async function restoreThroughApp(page: Page, s: SeededHistory, timeoutMs: number): Promise<AppRestore> {
  await page.getByTestId('go-restore').click({ timeout: 30_000 });
  await page.getByTestId('restore-keyfile').setInputFiles({ name: 'messagehub.keyfile.json', mimeType: 'application/json', buffer: Buffer.from(s.keyFile) });
  await page.getByTestId('restore-passphrase').fill(s.passphrase);
  const t0 = performance.now();
  await page.getByTestId('restore-submit').click();
  await page.getByTestId('restore-summary').or(page.getByTestId('restore-error')).first().waitFor({ timeout: timeoutMs });
  if (await page.getByTestId('restore-error').count()) throw new Error(`the app's restore failed: ${await page.getByTestId('restore-error').innerText()}`);
  const toSummary = performance.now() - t0;
  const messages = Number((await page.getByTestId('restore-messages').innerText()).replace(/[^0-9]/g, ''));
  const failed = Number(await page.getByTestId('restore-failed').getAttribute('data-count'));
  await page.getByTestId('restore-continue').click();
  await waitForItems(page, s.epochs, timeoutMs);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, toSummary: toSummary / 1000, listed: await page.getByTestId('conversation-item').count(), messages, failed };
}
