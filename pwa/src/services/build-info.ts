// THREATS W1: show the hashes of the code this page actually runs, so a person can compare
// them with a published build. The files are read back (from the service worker's cache).
export interface AssetHash {
  path: string;
  sha256: string;
}

export async function assetHashes(): Promise<AssetHash[]> {
  const urls = new Set<string>();
  for (const s of Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]'))) urls.add(s.src);
  for (const l of Array.from(document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"], link[rel="modulepreload"]'))) urls.add(l.href);
  for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    if (/\/assets\/.+\.(js|css|wasm)$/.test(new URL(e.name).pathname)) urls.add(e.name);
  }
  const out: AssetHash[] = [];
  for (const url of [...urls].filter((u) => new URL(u).origin === location.origin).sort()) {
    try {
      const bytes = await (await fetch(url)).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      out.push({ path: new URL(url).pathname, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') });
    } catch {
      out.push({ path: new URL(url).pathname, sha256: 'unavailable (offline and not cached)' });
    }
  }
  return out;
}
