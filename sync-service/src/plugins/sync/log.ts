import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { NotFoundError } from '../../services/errors.ts';
import { logPage, toStream } from '../../services/log-stream.ts';
import { historyPages } from '../../services/history-reader.ts';
import * as S from '../../schemas.ts';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 500;

/** GET /api/v1/conversations/{id}/log?after=N&limit=M: one page, streamed. */
export const logRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/conversations/{id}/log',
  options: {
    tags: ['api', 'sync'],
    description: "Read a conversation's log after a seq",
    validate: {
      params: Joi.object({ id: S.conversationId.required() }),
      query: Joi.object({
        after: S.seq.default(0),
        limit: Joi.number().integer().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ entries: Joi.array().items(S.logEntry), nextAfter: Joi.number().integer(), hasMore: Joi.boolean() }),
          404: 'not_found',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { id } = request.params as { id: string };
    const { after, limit } = request.query as { after: number; limit: number };
    const { database } = request.server.app;
    const lastSeq = await database.db.conversations.memberLastSeq(id, me.userPk);
    if (lastSeq === null) throw new NotFoundError();
    const pages = historyPages(database); // a standby's when it has them (services/history-reader.ts)
    return h.response(toStream(logPage(pages, id, after, lastSeq, limit))).type('application/json; charset=utf-8');
  },
};
