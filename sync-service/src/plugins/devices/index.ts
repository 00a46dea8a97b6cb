import type { Plugin } from '@hapi/hapi';
import { listDevicesRoute } from './list.ts';
import { registerDeviceRoute } from './register.ts';
import { revokeDeviceRoute } from './revoke.ts';

/** Device certificates and revocations (protocol DEV1..DEV11): stored append-only, served to every client. */
export const devicesPlugin: Plugin<void> = {
  name: 'devices',
  register(server) {
    server.route([registerDeviceRoute, listDevicesRoute, revokeDeviceRoute]);
  },
};
