import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';
import type { ConversationsResponse } from '../../../../protocol/src/index.ts';

/** Conversations in one answer at most (THREATS L3: a user put into 20,000 still gets answers of bounded size). */
export const CONVERSATIONS_PAGE = 1000;

/**
 * GET /api/v1/conversations?after=ID&limit=N: one page of the caller's conversations, in byte
 * order of their ids, with their latest seq and epoch and when the latest entry was stored
 * (`latestAt`, ms: a restore pulls the most recent conversations first); `hasMore` with `nextAfter` says where
 * the next page starts.
 */
export const listConversationsRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/conversations',
  options: {
    tags: ['api', 'conversations'],
    description: 'List my conversations, one page at a time',
    validate: {
      query: Joi.object({
        after: S.conversationId.description('the nextAfter of the previous page; absent: from the first'),
        limit: Joi.number().integer().min(1).max(CONVERSATIONS_PAGE).default(CONVERSATIONS_PAGE),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            conversations: Joi.array().items(Joi.object({
              conversationId: S.conversationId, latestSeq: Joi.number().integer(), latestEpoch: Joi.number().integer(),
              latestAt: Joi.number().integer().description('when the latest entry was stored, ms since 1970'),
              members: Joi.array().items(S.userId),
            })),
            hasMore: Joi.boolean(),
            nextAfter: S.conversationId.description('with hasMore: the `after` of the next page'),
          }),
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const { after, limit } = request.query as { after?: string; limit: number };
    const conversations = await request.server.app.database.db.conversations.list(me.userPk, after ?? null, limit + 1);
    const hasMore = conversations.length > limit;
    if (hasMore) conversations.length = limit;
    return {
      conversations,
      hasMore,
      ...(hasMore ? { nextAfter: conversations[conversations.length - 1]!.conversationId } : {}),
    } satisfies ConversationsResponse;
  },
};
