import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { view } from './reset-view.ts';
import { pendingReset } from './schemas.ts';

/** GET /api/v1/users/me/reset: the pending reset every device of the account must show. */
export const getResetRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/me/reset',
  options: {
    tags: ['api', 'account'],
    description: 'The pending key reset of my account, if any',
    plugins: { openapi: { responses: { 200: Joi.object({ pending: pendingReset.allow(null) }) } } },
  },
  async handler(request) {
    const me = caller(request);
    return { pending: view(await request.server.app.database.db.keyResets.pending(me.userPk)) };
  },
};
