import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

const MAX_LIST = 1000;

/** GET /api/v1/blocks?after=&limit=: the users I block, by user id, in pages. */
export const listBlocksRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/blocks',
  options: {
    tags: ['api', 'blocks'],
    description: 'List the users I block',
    validate: {
      query: Joi.object({
        after: S.userId.description('list the user ids after this one'),
        limit: Joi.number().integer().min(1).max(MAX_LIST).default(MAX_LIST),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            blocks: Joi.array().items(Joi.object({ userId: S.userId, createdAt: Joi.date().iso() })),
            nextAfter: S.userId.allow(null).description('with a full page: the `after` of the next one'),
          }),
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const { after, limit } = request.query as { after?: string; limit: number };
    const blocks = await request.server.app.database.db.blocks.list(me.userPk, after ?? null, limit);
    return { blocks, nextAfter: blocks.length === limit ? blocks[blocks.length - 1]!.userId : null };
  },
};
