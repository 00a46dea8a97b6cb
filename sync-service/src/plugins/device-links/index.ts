import type { Plugin } from '@hapi/hapi';
import { createLinkRoute } from './create.ts';
import { handoverLinkRoute } from './handover.ts';
import { lookupLinkRoute } from './lookup.ts';
import { receiveLinkRoute } from './receive.ts';

/**
 * Linking a device from another device (protocol LINK1..LINK6): a short-lived relay slot
 * holding the new device's ephemeral public key and, once, the sealed handover. The
 * service sees neither the code's secret nor anything it could test a guess against.
 */
export const deviceLinksPlugin: Plugin<void> = {
  name: 'device-links',
  register(server) {
    server.route([createLinkRoute, lookupLinkRoute, handoverLinkRoute, receiveLinkRoute]);
  },
};
