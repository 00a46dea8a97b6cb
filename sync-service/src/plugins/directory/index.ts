import type { Plugin } from '@hapi/hapi';
import { getKeysRoute } from './get-keys.ts';
import { rotateKeysRoute } from './rotate-keys.ts';

export const directoryPlugin: Plugin<void> = {
  name: 'directory',
  register(server) {
    server.route([getKeysRoute, rotateKeysRoute]);
  },
};
