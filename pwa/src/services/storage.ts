// The browser's storage chores, apart from IndexedDB's contents: asking to keep our data
// (persistence), what is stored, and wiping caches and the service worker when a device
// is forgotten. Everything is looked up when called, so Node can import this file.
import type { Db } from '../stores/db.ts';
import { countEntries } from '../stores/log.ts';
import { allOutbox } from '../stores/outbox.ts';

export interface StorageInfo {
  persisted: boolean | null;
  usage: number | null;
  entries: number;
  queued: number;
}

/** Whether the browser keeps our storage under pressure, asking once if it does not yet. */
export async function requestPersistence(): Promise<boolean | null> {
  try {
    const persisted = (await globalThis.navigator?.storage?.persisted?.()) ?? null;
    if (persisted === false) return (await navigator.storage.persist()) ?? false;
    return persisted;
  } catch {
    return false;
  }
}

export async function storageInfo(db: Db, persisted: boolean | null): Promise<StorageInfo> {
  const est = await globalThis.navigator?.storage?.estimate?.().catch(() => undefined);
  const out = await allOutbox(db);
  return { persisted, usage: est?.usage ?? null, entries: await countEntries(db), queued: out.filter((r) => r.status === 'queued').length };
}

/** Deletes every cache and unregisters the service worker. */
export async function wipeCachesAndWorker(): Promise<void> {
  try {
    for (const key of await caches.keys()) await caches.delete(key);
    for (const reg of (await navigator.serviceWorker?.getRegistrations()) ?? []) await reg.unregister();
  } catch {
    // nothing cached
  }
}
