import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';
import type { ConversationsResponse } from '../../../../protocol/src/index.ts';

/** GET /api/v1/conversations: the caller's conversations with their latest seq and epoch. */
export const listConversationsRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/conversations',
  options: {
    tags: ['api', 'conversations'],
    description: 'List my conversations',
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            conversations: Joi.array().items(Joi.object({
              conversationId: S.conversationId, latestSeq: Joi.number().integer(), latestEpoch: Joi.number().integer(),
              members: Joi.array().items(S.userId),
            })),
          }),
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    return { conversations: await request.server.app.database.db.conversations.list(me.userPk) } satisfies ConversationsResponse;
  },
};
