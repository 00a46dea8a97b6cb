/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { openDatabase } from './stores/db.ts';
import { flushOutbox } from './services/outbox-flush.ts';
import { pushNotification } from './services/push-notice.ts';

declare const self: ServiceWorkerGlobalScope;

// The app shell: every built asset, precached so the app starts with no network.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Navigations are answered from the cached index.html (the API is never cached).
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//, /^\/healthz/] }));

// The first worker controls the open page at once (there is no older version to displace),
// so a first visit already works offline. A later version still waits for the prompt below
// and activates only after SKIP_WAITING, followed by one reload of the page.
clientsClaim();

// A waiting version activates only when the user accepts the update prompt.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') void self.skipWaiting();
});

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}

/**
 * Background Sync: drain the outbox of already-sealed envelopes with the device's token
 * (read from IndexedDB, never logged). Raw requests are never replayed. A failure rejects
 * so the browser tries again later; the page flushes too, and client ids make a double
 * send harmless.
 */
async function backgroundFlush(): Promise<void> {
  const db = await openDatabase();
  try {
    const outcome = await flushOutbox(db, { baseUrl: self.location.origin });
    if (outcome.sent > 0 || outcome.ok) {
      for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage({ type: 'outbox-flushed' });
    }
    if (!outcome.ok && outcome.reason === 'network') throw new Error('outbox flush: network unavailable, retry later');
  } finally {
    db.close();
  }
}

self.addEventListener('sync', (event) => {
  const e = event as SyncEvent;
  if (e.tag === 'outbox-flush') e.waitUntil(backgroundFlush());
});

// Web Push (issue 16; SPEC NOTE1): the service's push says only "new messages". Unless a
// window of the app is focused (it shows them itself), the worker shows one content-free
// notification; a newer one replaces it (same tag).
self.addEventListener('push', (event) => {
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (windows.some((w) => w.focused && w.visibilityState === 'visible')) return;
    let payload: unknown = null;
    try {
      payload = event.data?.json();
    } catch {
      // not JSON: shown the same
    }
    const n = pushNotification(payload);
    await self.registration.showNotification(n.title, n.options);
  })());
});

// A click on a notification: to the app's open window, or a new one (at the conversation
// when the notification names one: only those the page showed with previews on).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const id = (event.notification.data as { conversationId?: unknown } | null)?.conversationId;
  const url = typeof id === 'string' ? `/c/${encodeURIComponent(id)}` : '/';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows[0];
    if (open) await open.focus();
    else await self.clients.openWindow(url);
  })());
});
