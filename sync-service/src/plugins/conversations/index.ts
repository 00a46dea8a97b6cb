import type { Plugin } from '@hapi/hapi';
import { appendEpochRoute } from './append-epoch.ts';
import { createConversationRoute } from './create.ts';
import { listConversationsRoute } from './list.ts';

export const conversationsPlugin: Plugin<void> = {
  name: 'conversations',
  register(server) {
    server.route([createConversationRoute, listConversationsRoute, appendEpochRoute]);
  },
};
