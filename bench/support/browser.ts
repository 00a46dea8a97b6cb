// Headless Chromium for benchmarks, with the flags the e2e tests use, and the page
// bundle (support/recovery-page.ts) served on the service's own origin through
// request interception, so the page is same-origin with the API and a secure context.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, assertChromium } from '../../e2e/support/browser.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function launchChromium(): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export async function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  assertChromium();
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export async function chromiumVersion(): Promise<string> {
  const b = await launchChromium();
  try {
    return b.version();
  } finally {
    await b.close();
  }
}

const bundles = new Map<string, Promise<string>>();

/**
 * support/recovery-page.ts and the protocol, bundled for the browser. `entry`: another
 * checkout's copy (an A/B run against a baseline tree, bench/recovery.bench.ts).
 */
export function pageBundle(entry = path.join(HERE, 'recovery-page.ts')): Promise<string> {
  let bundle = bundles.get(entry);
  bundle ??= build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false, // readable names in profiles
    write: false,
    logLevel: 'silent',
  }).then((out) => out.outputFiles[0]!.text);
  bundles.set(entry, bundle);
  return bundle;
}

/** The app's crypto worker (pwa/src/workers/crypto-worker.ts) of the same tree as `entry`, for the protocol-alone restore's pool. */
function workerBundle(entry = path.join(HERE, 'recovery-page.ts')): Promise<string> {
  return pageBundle(path.join(path.dirname(entry), '../../pwa/src/workers/crypto-worker.ts'));
}

/** A page at `${origin}/__bench/` with window.__bench loaded (never touches the app or its worker). */
export async function benchPage(context: BrowserContext, origin: string, entry?: string): Promise<Page> {
  const js = await pageBundle(entry);
  const page = await context.newPage();
  await page.route(`${origin}/__bench/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/__bench/bundle.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: js });
    if (url.pathname === '/__bench/crypto-worker.js') return workerBundle(entry).then((body) => route.fulfill({ status: 200, contentType: 'text/javascript', body }));
    return route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: '<!doctype html><meta charset="utf-8"><title>bench</title><body><script type="module" src="/__bench/bundle.js"></script></body>',
    });
  });
  await page.goto(`${origin}/__bench/index.html`);
  await page.waitForFunction(() => '__bench' in globalThis, undefined, { timeout: 30_000 });
  return page;
}
