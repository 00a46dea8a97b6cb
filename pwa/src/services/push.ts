// Web Push for this device (issue 16; SECURITY.md "Notifications"): subscribe with the
// service's VAPID key and hand the subscription to the service, which then wakes this
// device with a push that says only "new messages" (SPEC NOTE1); the worker (sw.ts) shows it
// as a content-free notification. Loaded only from Settings.

/** The three calls of the push routes (kept out of api.ts, which the worker bundles whole). */
export interface PushApi {
  baseUrl: string;
  token(): string | undefined;
}

async function call(p: PushApi, method: string, path: string, body?: unknown): Promise<Response> {
  const token = p.token();
  return fetch(`${p.baseUrl}/api/v1/push/${path}`, {
    method, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

/** 'unavailable': this browser or this service has no Web Push (notifications still work while the app runs). */
export type PushOutcome = 'subscribed' | 'unsubscribed' | 'unavailable' | 'failed';

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function registration(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  return (await navigator.serviceWorker.getRegistration()) ?? null;
}

export async function subscribePush(api: PushApi): Promise<PushOutcome> {
  const reg = await registration();
  if (!reg) return 'unavailable';
  try {
    const res = await call(api, 'GET', 'vapid-key');
    // 404 push_unavailable: the service has no VAPID keys.
    if (!res.ok) return res.status === 404 ? 'unavailable' : 'failed';
    const { publicKey } = (await res.json()) as { publicKey: string };
    const key = keyBytes(publicKey);
    let sub = await reg.pushManager.getSubscription();
    // A subscription made with another key (the service's keys changed) cannot be used.
    const current = sub?.options.applicationServerKey ? new Uint8Array(sub.options.applicationServerKey) : null;
    if (sub && (!current || current.length !== key.length || current.some((b, i) => b !== key[i]))) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    return (await call(api, 'PUT', 'subscription', sub.toJSON())).ok ? 'subscribed' : 'failed';
  } catch (e) {
    // No push service reachable (a browser without one, or a closed network): not an error of the app.
    return e instanceof DOMException && (e.name === 'NotSupportedError' || e.name === 'AbortError' || e.name === 'NotAllowedError') ? 'unavailable' : 'failed';
  }
}

export async function unsubscribePush(api: PushApi): Promise<PushOutcome> {
  try {
    await call(api, 'DELETE', 'subscription');
    const sub = await (await registration())?.pushManager.getSubscription();
    await sub?.unsubscribe();
    return 'unsubscribed';
  } catch {
    return 'failed';
  }
}
