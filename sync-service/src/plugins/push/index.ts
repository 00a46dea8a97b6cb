import type { Plugin } from '@hapi/hapi';
import { PushSender, type PushSenderOptions } from '../../services/push-sender.ts';
import { subscribeRoute } from './subscribe.ts';
import { unsubscribeRoute } from './unsubscribe.ts';
import { vapidKeyRoute } from './vapid-key.ts';

declare module '@hapi/hapi' {
  interface ServerApplicationState {
    /** Null when no VAPID keys are configured: no Web Push. */
    pushSender: PushSender | null;
  }
}

/**
 * Web Push (issue 16; SPEC NOTE1, SECURITY.md "Notifications"): the VAPID public key, this
 * session's subscription, and after every commit a content-free push to the other members'
 * subscriptions, off the append path (services/push-sender.ts).
 */
export const pushPlugin: Plugin<Partial<PushSenderOptions>> = {
  name: 'push',
  register(server, options) {
    const { config, database, appendQueue } = server.app;
    server.app.pushSender = null;
    if (config.vapid) {
      const db = database.db;
      const sender = new PushSender(
        {
          vapid: config.vapid,
          targets: (conversationIds, senderPks) => db.pushSubscriptions.targets(conversationIds, senderPks),
          removeEndpoint: (endpoint) => db.pushSubscriptions.removeEndpoint(endpoint),
          log: (message) => server.log(['push', 'warn'], { message }),
        },
        options,
      );
      server.app.pushSender = sender;
      appendQueue.afterCommit.push((entries) => sender.onStored(entries));
      // After the append queue is closed (onPostStop, server.ts), so every commit's push is taken.
      server.ext('onPostStop', async () => {
        await appendQueue.close();
        await sender.close();
      });
    }
    server.route([vapidKeyRoute, subscribeRoute, unsubscribeRoute]);
  },
};
