import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { blockTarget } from './target.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/blocks/{userId}: block a user (THREATS L3). The service then refuses any new
 * conversation or epoch by that user that would add the caller (403 conversation_refused).
 */
export const addBlockRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/blocks/{userId}',
  options: {
    tags: ['api', 'blocks'],
    description: 'Block a user: no new conversations from them',
    validate: { params: Joi.object({ userId: S.userId.required() }), payload: Joi.object({}).allow(null).description('no body, or {}') },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ userId: S.userId, createdAt: Joi.date().iso() }),
          200: 'blocked already (the first time is kept)',
          400: 'cannot_block_self', 404: 'unknown_user',
        },
      },
    },
  },
  async handler(request, h) {
    const { me, targetPk, userId } = await blockTarget(request);
    const { createdAt, created } = await request.server.app.database.db.blocks.add(me.userPk, targetPk);
    return h.response({ userId, createdAt }).code(created ? 201 : 200);
  },
};
