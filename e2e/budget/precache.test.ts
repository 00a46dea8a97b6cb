// Lives with the browser tests because it reads the build they wait for (e2e/support/await-build.ts).
// The built app: the service worker's precache list holds the whole shell exactly once
// (index.html, scripts, styles, manifest, icons) and never the worker itself; the shipped
// JavaScript stays within its budget.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST_DIR } from '../support/stack.ts';

function precacheList(): { url: string; revision: string | null }[] {
  const sw = readFileSync(path.join(DIST_DIR, 'sw.js'), 'utf8');
  const match = sw.match(/\[\{"revision":[^\]]*\]/);
  if (!match) throw new Error('no injected precache manifest found in dist/pwa/sw.js');
  return JSON.parse(match[0]);
}

describe('the built PWA', () => {
  it('precaches index.html, every script and style (but the strength dictionaries), the manifest and the icons once each, and not sw.js', () => {
    const urls = precacheList().map((e) => e.url);
    expect(new Set(urls).size).toBe(urls.length);
    const all = readdirSync(path.join(DIST_DIR, 'assets')).map((f) => `assets/${f}`);
    // The passphrase-strength dictionaries (about 850 KB gzip) load only on the screens that
    // ask for a new passphrase, never at start or offline.
    const dictionaries = all.filter((a) => /\/strength-dictionaries-[^/]+\.js$/.test(a));
    expect(dictionaries.length).toBeGreaterThanOrEqual(1);
    const assets = all.filter((a) => !dictionaries.includes(a));
    const icons = readdirSync(path.join(DIST_DIR, 'icons')).map((f) => `icons/${f}`);
    expect([...urls].sort()).toEqual(['index.html', 'manifest.webmanifest', ...assets, ...icons].sort());
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    expect(urls.some((u) => /(^|\/)sw\.(js|mjs)$/.test(u) || u.startsWith('workbox-'))).toBe(false);
    // Hashed file names carry their own revision; the others are revisioned by content.
    for (const e of precacheList()) if (!e.url.startsWith('assets/')) expect(e.revision).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ships at most 60 KB of gzipped JavaScript at start (the budget; lazy chunks listed apart)', () => {
    const html = readFileSync(path.join(DIST_DIR, 'index.html'), 'utf8');
    const entry = [...html.matchAll(/src="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const preload = [...html.matchAll(/rel="modulepreload"[^>]*href="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const start = [...new Set([...entry, ...preload])];
    const gz = (f: string) => gzipSync(readFileSync(path.join(DIST_DIR, f))).length;
    const total = start.reduce((n, f) => n + gz(f), 0);
    expect(start.length).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(60 * 1024);
  });

  it('has no inline scripts or styles in index.html (the CSP forbids them)', () => {
    const html = readFileSync(path.join(DIST_DIR, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle="/);
  });
});
