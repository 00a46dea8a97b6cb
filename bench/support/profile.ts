// Where the time goes: self time per function (and per script) of a V8 CPU profile,
// as written by `node --cpu-prof` or by the Chrome DevTools Protocol's Profiler.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Sampled time not spent idle, in ms. */
export function busyMs(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let ms = 0;
  for (let i = 0; i < profile.samples.length; i++) if (!idle.has(profile.samples[i]!)) ms += (profile.timeDeltas[i + 1] ?? 0) / 1000;
  return ms;
}

export interface HotSpot { name: string; ms: number; share: number }

function shortUrl(url: string): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
  const i = clean.indexOf('/node_modules/');
  if (i >= 0) return clean.slice(i + 1);
  const parts = clean.split('/');
  return parts.slice(-2).join('/');
}

/** Self time per function (by name and location), highest first. */
export function hotSpots(profile: CpuProfile, top = 12, by: 'function' | 'script' = 'function'): HotSpot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (!node) continue;
    const f = node.callFrame;
    const key = by === 'script'
      ? shortUrl(f.url) || `(${f.functionName || 'native'})`
      : `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? Math.round((ms / total) * 1000) / 10 : 0 }));
}

export function formatHotSpots(title: string, spots: HotSpot[]): string {
  return [title, ...spots.map((s) => `  ${String(s.ms).padStart(6)} ms ${String(s.share).padStart(5)}%  ${s.name}`)].join('\n');
}

/** Profile a page's main thread around `fn` (Chrome DevTools Protocol). */
export async function profilePage<T>(page: Page, fn: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  try {
    const result = await fn();
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    return { result, profile };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

export async function saveProfile(dir: string, name: string, profile: CpuProfile): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  return file;
}

/**
 * The main thread's profile in dir: node --cpu-prof writes one per thread on exit (tsx's
 * loader runs in a worker thread): keep the one with the most non-idle time.
 */
export async function newestProfile(dir: string): Promise<CpuProfile | null> {
  try {
    let best: CpuProfile | null = null;
    for (const f of (await readdir(dir)).filter((x) => x.endsWith('.cpuprofile'))) {
      const p = JSON.parse(await readFile(path.join(dir, f), 'utf8')) as CpuProfile;
      if (!best || busyMs(p) > busyMs(best)) best = p;
    }
    return best;
  } catch {
    return null;
  }
}
