import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { blockTarget } from './target.ts';
import * as S from '../../schemas.ts';

/** DELETE /api/v1/blocks/{userId}: unblock (204 whether or not the user was blocked). */
export const removeBlockRoute: ServerRoute = {
  method: 'DELETE',
  path: '/api/v1/blocks/{userId}',
  options: {
    tags: ['api', 'blocks'],
    description: 'Unblock a user',
    validate: { params: Joi.object({ userId: S.userId.required() }) },
    plugins: { openapi: { responses: { 204: 'not blocked (any more)', 400: 'cannot_block_self', 404: 'unknown_user' } } },
  },
  async handler(request, h) {
    const { me, targetPk } = await blockTarget(request);
    await request.server.app.database.db.blocks.remove(me.userPk, targetPk);
    return h.response().code(204);
  },
};
