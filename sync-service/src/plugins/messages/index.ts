import type { Plugin } from '@hapi/hapi';
import { appendMessageRoute } from './append.ts';
import { batchAppendRoute } from './batch.ts';

export const messagesPlugin: Plugin<void> = {
  name: 'messages',
  register(server) {
    server.route([appendMessageRoute, batchAppendRoute]);
  },
};
