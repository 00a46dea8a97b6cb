import type { Plugin } from '@hapi/hapi';
import { accountChallengeRoute } from './challenge.ts';
import { cancelResetRoute } from './cancel-reset.ts';
import { completeResetRoute } from './complete-reset.ts';
import { getResetRoute } from './get-reset.ts';
import { requestResetRoute } from './request-reset.ts';

/** Signed account changes and the key reset (THREATS L1). */
export const accountPlugin: Plugin<void> = {
  name: 'account',
  register(server) {
    server.route([accountChallengeRoute, requestResetRoute, getResetRoute, cancelResetRoute, completeResetRoute]);
  },
};
