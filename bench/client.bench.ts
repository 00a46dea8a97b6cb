// Client budgets: the JavaScript the PWA ships (gzip, with and without the Argon2
// WebAssembly that hash-wasm inlines as base64), and the offline cold start to a usable
// conversation list in headless Chromium.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIfStale } from '../scripts/build-if-stale.ts';
import { ARGON2_WASM, START_BUDGET_KB, TOTAL_CEILING_KB, TOTAL_GOAL_KB, budgetReport, type JsFile } from '../scripts/bundle-size.ts';
import { seedHistory } from './seed.ts';
import { ApiClient } from './support/api.ts';
import { restoreThroughApp, waitForItems } from './support/app.ts';
import { launchPersistentChromium } from './support/browser.ts';
import { RESULTS_DIR, type BenchContext } from './support/context.ts';
import { formatHotSpots, hotSpots, profilePage, saveProfile } from './support/profile.ts';
import { median, round, type BenchRow } from './support/rows.ts';
import { ROOT, startServiceProcess } from './support/service.ts';

const GROUP = 'client';
const DIST = path.join(ROOT, 'dist/pwa');
const BUDGET_KB = TOTAL_GOAL_KB;
const COLD_START_MS = 500;

const kb = (n: number): number => round(n / 1024, 1);

function bundleRows(): BenchRow[] {
  const report = budgetReport(DIST);
  const files = report.files;
  const sum = (xs: JsFile[], k: 'raw' | 'gzip' | 'gzipWithoutArgon2') => xs.reduce((s, f) => s + f[k], 0);
  const argon = files.flatMap((f) => f.wasm.filter((w) => ARGON2_WASM.includes(w.name)).map((w) => ({ ...w, file: f.file })));
  const otherWasm = files.flatMap((f) => f.wasm.filter((w) => !ARGON2_WASM.includes(w.name)).map((w) => `${w.name} ${kb(w.gzip)} KB gzip in ${f.file}`));
  return [
    {
      group: GROUP, name: 'shipped JavaScript, gzip, without the Argon2 WebAssembly', value: report.totalKb, unit: 'KB', goal: `≤ ${BUDGET_KB} KB`, met: report.totalKb <= BUDGET_KB,
      note: `every .js in dist/pwa (app, lazy chunks, service worker), gzip -9 (scripts/bundle-size.ts; the test holds it under ${TOTAL_CEILING_KB} KB for now): ${report.lines.join(', ')}; other inlined WebAssembly counted: ${otherWasm.join(', ') || 'none'}`,
    },
    {
      group: GROUP, name: 'start chunk (index.html and its static imports), gzip', value: report.startKb, unit: 'KB', goal: `≤ ${START_BUDGET_KB} KB`, met: report.startKb <= START_BUDGET_KB,
      note: 'enforced by e2e/budget/js-budget.test.ts',
    },
    {
      group: GROUP, name: 'shipped JavaScript, gzip, with the Argon2 WebAssembly', value: kb(sum(files, 'gzip')), unit: 'KB',
      note: `Argon2 WebAssembly (base64 inside ${[...new Set(argon.map((a) => a.file))].join(', ') || 'no file: not found'}): ${argon.map((a) => `${a.name} ${kb(a.base64)} KB base64, ${kb(a.gzip)} KB gzip`).join('; ')}; raw JS ${kb(sum(files, 'raw'))} KB`,
    },
  ];
}

interface ColdStart { ms: number; responseEnd: number; domContentLoaded: number; scripts: number }

/** A new page with no network: navigation start → the list shows every conversation. */
async function coldStart(context: Awaited<ReturnType<typeof launchPersistentChromium>>, origin: string, n: number, profile: boolean): Promise<ColdStart & { hot?: string }> {
  const page = await context.newPage();
  try {
    const go = async () => {
      await page.goto(origin + '/', { waitUntil: 'commit' });
      return waitForItems(page, n, 15_000);
    };
    let ms: number;
    let hot: string | undefined;
    if (profile) {
      const { result, profile: p } = await profilePage(page, go);
      ms = result;
      await saveProfile(RESULTS_DIR, 'client-cold-start', p);
      hot = formatHotSpots('client: offline cold start, main thread self time:', hotSpots(p, 20));
    } else {
      ms = await go();
    }
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const scripts = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.js')) as PerformanceResourceTiming[];
      return { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd, scripts: Math.max(0, ...scripts.map((x) => x.responseEnd)) };
    });
    return { ms, ...nav, hot };
  } finally {
    await page.close();
  }
}

async function coldStartRows(ctx: BenchContext): Promise<BenchRow[]> {
  const conversations = ctx.quick ? 5 : 20;
  const messages = ctx.quick ? 100 : 1_000;
  const launches = ctx.quick ? 1 : 5;
  const databaseUrl = await ctx.pg.freshDatabase('client');
  const service = await startServiceProcess({ databaseUrl });
  const api = new ApiClient(service.port, service.origin, 8);
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-bench-profile-'));
  try {
    const seeded = await seedHistory(api, { messages, conversations, keyPairs: ctx.quick ? 1 : 4, log: ctx.log });
    // Online once: restore the account, then reload so the service worker controls the page.
    let context = await launchPersistentChromium(profileDir);
    try {
      const page = await context.newPage();
      await page.goto(service.origin + '/');
      await restoreThroughApp(page, seeded, 120_000);
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.reload();
      await waitForItems(page, conversations, 30_000);
      const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
      if (!controlled) throw new Error('the service worker does not control the page after a reload');
    } finally {
      await context.close();
    }
    // Offline: a fresh browser process each time (cold), then a new page in the same one (warm).
    const cold: ColdStart[] = [];
    const warm: ColdStart[] = [];
    let hot: string | undefined;
    for (let i = 0; i < launches; i++) {
      context = await launchPersistentChromium(profileDir);
      try {
        await context.setOffline(true);
        for (const p of context.pages()) await p.close();
        cold.push(await coldStart(context, service.origin, conversations, false));
        warm.push(await coldStart(context, service.origin, conversations, false));
        if (ctx.profile && i === launches - 1) hot = (await coldStart(context, service.origin, conversations, true)).hot;
      } finally {
        await context.close();
      }
    }
    if (hot) ctx.log(hot);
    const coldMs = median(cold.map((c) => c.ms));
    const warmMs = median(warm.map((c) => c.ms));
    const c = cold.find((x) => x.ms === coldMs)!;
    return [
      {
        group: GROUP, name: `offline cold start → usable list (${conversations} conversations, new browser process)`, value: round(coldMs, 0), unit: 'ms',
        goal: `≤ ${COLD_START_MS} ms`, met: coldMs <= COLD_START_MS,
        note: `median of ${launches} launches (${cold.map((x) => Math.round(x.ms)).join(' / ')} ms) of a persistent profile restored online once (${messages} messages), network off; from navigation start: document from the service worker at ${Math.round(c.responseEnd)} ms, last script at ${Math.round(c.scripts)} ms, DOMContentLoaded ${Math.round(c.domContentLoaded)} ms, list at ${Math.round(c.ms)} ms`,
      },
      {
        group: GROUP, name: 'offline start → usable list, new page in a running browser', value: round(warmMs, 0), unit: 'ms', goal: `≤ ${COLD_START_MS} ms`, met: warmMs <= COLD_START_MS,
        note: `median of ${warm.length} (${warm.map((x) => Math.round(x.ms)).join(' / ')} ms)`,
      },
    ];
  } finally {
    api.close();
    await service.stop();
    await rm(profileDir, { recursive: true, force: true });
  }
}

export async function runClientBench(ctx: BenchContext): Promise<BenchRow[]> {
  buildIfStale(undefined, (l) => ctx.log(`build: ${l}`));
  const rows = bundleRows();
  try {
    rows.push(...(await coldStartRows(ctx)));
  } catch (error) {
    rows.push({ group: GROUP, name: 'offline cold start → usable list', value: NaN, unit: 'ms', goal: `≤ ${COLD_START_MS} ms`, met: false, note: `could not run: ${(error as Error).message.split('\n')[0]}` });
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { standalone } = await import('./support/standalone.ts');
  await standalone(runClientBench);
}
