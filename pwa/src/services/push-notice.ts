// What a notification may say without the user's opt-in to previews (SPEC NOTE1, NOTE2):
// shared by the page (attention.ts) and the service worker (sw.ts), kept tiny for the worker.

export const APP_TITLE = 'MessageHub';
/** One notification at a time: a newer one replaces the last. */
export const NOTIFICATION_TAG = 'messagehub-new';

export interface NotificationContent {
  title: string;
  options: NotificationOptions;
}

/** "MessageHub: New message(s)", and nothing else: no sender, no text, no conversation. */
export function contentFree(count: number): NotificationContent {
  return { title: APP_TITLE, options: { body: count > 1 ? 'New messages' : 'New message', tag: NOTIFICATION_TAG, icon: '/icons/icon-192.png', data: {} } };
}

/**
 * NOTE1: what the worker shows for a Web Push. The push says only "new messages" and the
 * worker shows that, the same whatever a push carries: nothing from a push is ever displayed
 * (the push service could write anything in it), and the worker holds no plaintext.
 */
export function pushNotification(_payload: unknown): NotificationContent {
  return contentFree(2);
}
