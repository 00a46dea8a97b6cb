import type { Plugin } from '@hapi/hapi';
import { logRoute } from './log.ts';
import { syncRoute } from './sync.ts';

export const syncPlugin: Plugin<void> = {
  name: 'sync',
  register(server) {
    server.route([logRoute, syncRoute]);
  },
};
