import Joi from 'joi';
import { randomUUID } from 'node:crypto';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { sharedLimit } from '../../services/rate-limit.ts';
import { newToken } from '../../services/tokens.ts';
import * as S from '../../schemas.ts';
import { ACCOUNT_PURPOSES } from './schemas.ts';
import type { AccountPurpose } from '../../db/account-challenges.ts';

/**
 * POST /api/v1/users/me/challenge: a single-use nonce for one signed account change
 * (protocol ACCT1, THREATS L1). Limited per session, so a stolen token cannot spend the
 * owner's budget.
 */
export const accountChallengeRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users/me/challenge',
  options: {
    tags: ['api', 'account'],
    description: 'Issue a challenge for a signed account change',
    validate: { payload: Joi.object({ purpose: Joi.string().valid(...ACCOUNT_PURPOSES).required() }) },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ challengeId: S.uuid, nonce: Joi.string(), purpose: Joi.string(), expiresAt: Joi.date().iso() }),
          429: 'rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { purpose } = request.payload as { purpose: AccountPurpose };
    const { config, database } = request.server.app;
    const db = database.db;
    await sharedLimit(db, `account-challenge:session:${me.sessionId}`, config.loginRateLimitPerMinute);
    const challengeId = randomUUID();
    const nonce = newToken();
    const { expiresAt } = await db.accountChallenges.create({ id: challengeId, userPk: me.userPk, purpose, nonce, ttlSeconds: config.challengeTtlSeconds });
    return h.response({ challengeId, nonce, purpose, expiresAt }).code(201);
  },
};
