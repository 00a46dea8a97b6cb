import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import * as S from '../../schemas.ts';
import { archiveOwner } from './owner.ts';

/**
 * GET /api/v1/users/{userId}/epoch-archive: the owner's archive entries wrapped to the
 * account's current key (HIST4), for a device restored from its key file. Owner only.
 */
export const listArchiveRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/{userId}/epoch-archive',
  options: {
    tags: ['api', 'epoch-archive'],
    description: "The caller's own epoch key archive (entries wrapped to the current key)",
    validate: { params: Joi.object({ userId: S.userId.required() }) },
    plugins: { openapi: { responses: { 200: Joi.object({ entries: Joi.array().items(S.epochArchiveEntry) }), 403: 'not_owner' } } },
  },
  async handler(request) {
    const { me, fingerprint } = await archiveOwner(request);
    return { entries: await request.server.app.database.db.epochArchive.list(me.userPk, fingerprint) };
  },
};
