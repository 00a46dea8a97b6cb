import type { Plugin } from '@hapi/hapi';
import { addBlockRoute } from './add.ts';
import { listBlocksRoute } from './list.ts';
import { removeBlockRoute } from './remove.ts';

/** Blocks (THREATS L3 message requests): who a user refuses new conversations from. */
export const blocksPlugin: Plugin<void> = {
  name: 'blocks',
  register(server) {
    server.route([addBlockRoute, removeBlockRoute, listBlocksRoute]);
  },
};
