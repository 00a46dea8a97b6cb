import type { Plugin } from '@hapi/hapi';
import { registerRoute } from './register.ts';

export const accountsPlugin: Plugin<void> = {
  name: 'accounts',
  register(server) {
    server.route([registerRoute]);
  },
};
