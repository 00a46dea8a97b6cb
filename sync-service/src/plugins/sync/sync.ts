import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { syncPage, toStream } from '../../services/log-stream.ts';
import { DEFAULT_PAGE, MAX_PAGE } from './log.ts';
import * as S from '../../schemas.ts';

/** POST /api/v1/sync: everything new since my cursors, in (conversation, seq) order, streamed. */
export const syncRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/sync',
  options: {
    tags: ['api', 'sync'],
    description: 'Pull new entries of all my conversations',
    validate: {
      payload: Joi.object({
        cursors: Joi.object().pattern(S.conversationId, S.seq).max(10_000).default({}),
        limit: Joi.number().integer().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            entries: Joi.array().items(S.logEntry),
            cursors: Joi.object().pattern(S.conversationId, Joi.number().integer()),
            hasMore: Joi.boolean(),
          }),
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { cursors, limit } = request.payload as { cursors: Record<string, number>; limit: number };
    const db = request.server.app.database.db;
    return h.response(toStream(syncPage(db, me.userPk, cursors, limit))).type('application/json; charset=utf-8');
  },
};
