import type { Plugin } from '@hapi/hapi';
import { availabilityRoute } from './availability.ts';
import { registerRoute } from './register.ts';

export const accountsPlugin: Plugin<void> = {
  name: 'accounts',
  register(server) {
    server.route([registerRoute, availabilityRoute]);
  },
};
