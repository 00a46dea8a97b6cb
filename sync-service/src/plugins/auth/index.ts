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

    // Housekeeping: used and expired challenges and old rate-limit windows are deleted
    // every ten minutes (both tables are scratch, not history).
    let timer: NodeJS.Timeout | undefined;
    const prune = async () => {
      const db = server.app.database.db;
      try {
        await db.challenges.prune();
        await db.accountChallenges.prune();
        await db.rateLimits.prune();
      } catch (error) {
        server.log(['auth', 'warn'], { message: `pruning failed: ${(error as Error).message}` });
      }
    };
    server.ext('onPostStart', () => {
      void prune();
      timer = setInterval(() => void prune(), 10 * 60_000);
      timer.unref();
    });
    server.ext('onPreStop', () => {
      clearInterval(timer);
    });
  },
};
