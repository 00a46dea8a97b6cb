// axe-core on a page, injected once per document and run in the page itself.
//
// Why not @axe-core/playwright's AxeBuilder: every analyze() evaluates the whole axe-core
// source (~550 KB) in the page twice and then opens a new blank tab, evaluates the source
// there again and finishes the run in it (its cross-origin frame support). The app has no
// frames, so none of that is needed, and with ~90 axe runs per `npm test` it cost CPU on a
// 2-core machine where the journeys are CPU-bound (measured in issue 11: BENCHMARKS.md
// "Test time, session 6"). The rules and the result are axe-core's own: `axe.run`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, RunOptions, Spec } from 'axe-core';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page's document as it is now (injecting it first if this document has none). */
export async function runAxe(page: Page, options: RunOptions = {}): Promise<AxeResults> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.evaluate(AXE_SOURCE);
    await page.evaluate(() => (window as unknown as AxeWindow).axe.configure({ allowedOrigins: ['<same_origin>'] }));
  }
  return page.evaluate((opts) => (window as unknown as AxeWindow).axe.run(document, opts as RunOptions), options as never);
}

type AxeWindow = { axe: { configure(spec: Spec): void; run(context: Document, options: RunOptions): Promise<AxeResults> } };
