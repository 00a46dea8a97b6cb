import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import * as S from '../../schemas.ts';
import { keyEntry } from '../account/schemas.ts';
import { knownUser } from '../known-user.ts';

/** GET /api/v1/users/{userId}/keys: current keys and the whole history, oldest first. */
export const getKeysRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/{userId}/keys',
  options: {
    tags: ['api', 'directory'],
    description: "A user's current public keys and key history",
    validate: { params: Joi.object({ userId: S.userId.required() }) },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ userId: S.userId, displayName: Joi.string(), current: keyEntry, history: Joi.array().items(keyEntry) }),
          404: 'unknown_user',
        },
      },
    },
  },
  async handler(request) {
    const { userId } = request.params as { userId: string };
    const db = request.server.app.database.db;
    const user = await knownUser(db, userId);
    const history = await db.keys.history(user.id);
    return { userId: user.userId, displayName: user.displayName, current: history[history.length - 1], history };
  },
};
