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
  /** Restore pressed → usable list (the most recent conversations listed, older history still streaming), seconds. */
  seconds: number;
  /** Restore pressed → the whole history stored and summarised (the summary on the list), seconds. */
  toSummary: number;
  /** Restore pressed → every conversation listed, seconds. */
  allListed: number;
  /** performance.now() in the page when the list was first usable (ms since navigation start). */
  usableAt: number;
  listed: number;
  messages: number;
  failed: number;
}

/**
 * On the app's first screen: open "restore", give the key file and passphrase, restore; the
 * list is usable once the most recent conversations are in (issue 18), the summary comes on
 * the list when the whole history is; then it is dismissed.
 */
export async function restoreThroughApp(page: Page, s: SeededHistory, timeoutMs: number): Promise<AppRestore> {
  await page.getByTestId('go-restore').click({ timeout: 30_000 });
  await page.getByTestId('restore-keyfile').setInputFiles({ name: 'messagehub.keyfile.json', mimeType: 'application/json', buffer: Buffer.from(s.keyFile) });
  await page.getByTestId('restore-passphrase').fill(s.passphrase);
  // Polled in the page every frame from before the submit: the frame the first conversation
  // is listed in, not when a later round trip from here notices it.
  const firstItem = waitForItems(page, 1, timeoutMs);
  firstItem.catch(() => undefined);
  const t0 = performance.now();
  await page.getByTestId('restore-submit').click();
  const failed0 = page.getByTestId('restore-error').waitFor({ timeout: timeoutMs }).then(() => 'error' as const, () => 'none' as const);
  const usableAt = await Promise.race([firstItem, failed0.then((r) => (r === 'error' ? -1 : new Promise<number>(() => undefined)))]);
  if (usableAt < 0) throw new Error(`the app's restore failed: ${await page.getByTestId('restore-error').innerText()}`);
  const seconds = (performance.now() - t0) / 1000;
  const allListedMs = await waitForItems(page, s.epochs, timeoutMs).then(() => performance.now() - t0);
  await page.getByTestId('restore-summary').waitFor({ timeout: timeoutMs });
  const toSummary = performance.now() - t0;
  const messages = Number((await page.getByTestId('restore-messages').innerText()).replace(/[^0-9]/g, ''));
  const failed = Number(await page.getByTestId('restore-failed').getAttribute('data-count'));
  const listed = await page.getByTestId('conversation-item').count();
  await page.getByTestId('restore-continue').click();
  return { seconds, toSummary: toSummary / 1000, allListed: allListedMs / 1000, usableAt, listed, messages, failed };
}
