import type { Plugin } from '@hapi/hapi';
import { listSessionsRoute } from './list.ts';
import { revokeSessionRoute } from './revoke.ts';

export const sessionsPlugin: Plugin<void> = {
  name: 'sessions',
  register(server) {
    server.route([listSessionsRoute, revokeSessionRoute]);
  },
};
