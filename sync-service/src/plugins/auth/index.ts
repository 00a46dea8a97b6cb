import type { Plugin } from '@hapi/hapi';
import { challengeRoute } from './challenge.ts';
import { loginRoute } from './login.ts';
import { logoutRoute } from './logout.ts';
import { bearerScheme } from './scheme.ts';

/** Bearer-token authentication (the default for every route) and the login routes. */
export const authPlugin: Plugin<void> = {
  name: 'auth',
  register(server) {
    server.auth.scheme('mh-bearer', bearerScheme);
    server.auth.strategy('session', 'mh-bearer');
    server.auth.default('session');
    server.route([challengeRoute, loginRoute, logoutRoute]);
  },
};
