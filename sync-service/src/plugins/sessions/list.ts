import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

/** GET /api/v1/sessions: my live device sessions. */
export const listSessionsRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/sessions',
  options: {
    tags: ['api', 'sessions'],
    description: 'List my device sessions',
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            sessions: Joi.array().items(Joi.object({
              id: S.uuid, deviceName: Joi.string(), deviceId: S.uuid.allow(null), createdAt: Joi.date().iso(), lastSeenAt: Joi.date().iso(),
              expiresAt: Joi.date().iso(), current: Joi.boolean(),
            })),
          }),
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const rows = await request.server.app.database.db.sessions.list(me.userPk);
    return { sessions: rows.map((s) => ({ ...s, current: s.id === me.sessionId })) };
  },
};
