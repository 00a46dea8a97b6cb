// Runs the protocol's round-trip and tamper checks inside real Chromium
// (browser-entry.ts bundled with esbuild, served from 127.0.0.1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import type { CheckResult } from './browser-entry.ts';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: Server | undefined;
let browser: Browser | undefined;
let base = '';

async function bundle(entry: URL): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  // The checks, and the app's crypto worker (pwa/src/workers/crypto-worker.ts) they start.
  const js = await bundle(new URL('./browser-entry.ts', import.meta.url));
  const workerJs = await bundle(new URL('../../pwa/src/workers/crypto-worker.ts', import.meta.url));
  const html = '<!doctype html><meta charset="utf-8"><title>protocol</title><script type="module" src="/bundle.js"></script>';
  server = createServer((req, res) => {
    if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/crypto-worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(workerJs);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('Chromium', () => {
  it('CANON2, ENV1, ENV7, OPEN4, OPEN6, EPOCH1, EPOCH4, KF1, KF7, SN2, AUTH1: round trips and tamper checks pass in real Chromium', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/');
    await page.waitForFunction(() => 'runProtocolChecks' in globalThis, undefined, { timeout: 30_000 });
    const results = await page.evaluate(() => (globalThis as unknown as { runProtocolChecks: () => Promise<CheckResult[]> }).runProtocolChecks());
    await page.close();
    expect(errors).toEqual([]);
    expect(results.length).toBe(12);
    for (const r of results) expect(r, r.name).toEqual({ name: r.name, ok: true, detail: '' });
  }, 180_000);
});
