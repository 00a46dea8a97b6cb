import type { Plugin } from '@hapi/hapi';
import { listArchiveRoute } from './list.ts';
import { storeArchiveRoute } from './store.ts';

/** The epoch key archive (protocol HIST1..HIST5): each user's own re-wrapped epoch keys, readable and writable only by that user. */
export const epochArchivePlugin: Plugin<void> = {
  name: 'epoch-archive',
  register(server) {
    server.route([storeArchiveRoute, listArchiveRoute]);
  },
};
