import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { SYNC_WINDOW, syncPage, toStream, type SyncRequest } from '../../services/log-stream.ts';
import { historyPages } from '../../services/history-reader.ts';
import { DEFAULT_PAGE, MAX_PAGE } from './log.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/sync: everything new since my cursors, in (conversation, seq) order, streamed,
 * one window of my conversations at a time (THREATS L3): `after` / `until` bound the window,
 * `hasMore` with `nextAfter` says where the next one starts.
 */
export const syncRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/sync',
  options: {
    tags: ['api', 'sync'],
    description: 'Pull new entries of all my conversations',
    validate: {
      payload: Joi.object({
        cursors: Joi.object().pattern(S.conversationId, S.seq).max(10_000).default({}),
        after: S.conversationId.description('walk the conversations with a greater id (byte order); absent: from the first'),
        until: S.conversationId.description('…up to this id, inclusive (the last one the cursors name)'),
        limit: Joi.number().integer().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
      }).custom((v: SyncRequest, helpers) => (v.after !== undefined && v.until !== undefined && !(v.until > v.after) ? helpers.error('any.invalid') : v))
        .messages({ 'any.invalid': '"until" must come after "after"' }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            entries: Joi.array().items(S.logEntry),
            cursors: Joi.object().pattern(S.conversationId, Joi.number().integer()),
            hasMore: Joi.boolean(),
            nextAfter: S.conversationId.allow(null).description(`with hasMore: the \`after\` of the next request (at most ${SYNC_WINDOW} conversations are walked per request)`),
          }),
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { database } = request.server.app;
    const pages = historyPages(database); // a standby's when it has them (services/history-reader.ts)
    return h.response(toStream(syncPage(database.db, pages, me.userPk, request.payload as SyncRequest))).type('application/json; charset=utf-8');
  },
};
