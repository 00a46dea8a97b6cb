import Joi from 'joi';
import { randomUUID } from 'node:crypto';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import { newToken } from '../../services/tokens.ts';
import * as S from '../../schemas.ts';
import type { ChallengeResponse } from '../../../../protocol/src/index.ts';
import { knownUser } from '../known-user.ts';

/** POST /api/v1/auth/challenge: a single-use nonce bound to user and origin (T1); limits of L4. */
export const challengeRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/auth/challenge',
  options: {
    auth: false,
    tags: ['api', 'auth'],
    description: 'Issue a login challenge',
    validate: {
      payload: Joi.object({
        userId: S.userId.required(),
        origin: Joi.string().max(256).required().description('the web origin the client talks to'),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ challengeId: S.uuid, nonce: Joi.string(), origin: Joi.string(), expiresAt: Joi.date().iso() }),
          403: 'origin_not_allowed', 404: 'unknown_user', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const { userId, origin } = request.payload as { userId: string; origin: string };
    const { config, database } = request.server.app;
    const headerOrigin = request.headers.origin;
    if (!config.origins.includes(origin) || (headerOrigin !== undefined && headerOrigin !== origin)) {
      throw new ApiError(403, 'origin_not_allowed', 'this origin may not log in here');
    }
    const db = database.db;
    // L4: counted per address and per (user, address), never per user alone, so requests
    // from elsewhere cannot spend the owner's budget and lock them out of login.
    const address = clientAddress(request);
    await sharedLimit(db, `challenge:ip:${address}`, config.loginRateLimitPerMinute);
    await sharedLimit(db, `challenge:user-ip:${userId}:${address}`, config.loginRateLimitPerMinute);
    const user = await knownUser(db, userId);
    const challengeId = randomUUID();
    const nonce = newToken();
    const { expiresAt } = await db.challenges.create({ id: challengeId, userPk: user.id, nonce, origin, ttlSeconds: config.challengeTtlSeconds });
    return h.response({ challengeId, nonce, origin, expiresAt: expiresAt.toISOString() } satisfies ChallengeResponse).code(201);
  },
};
