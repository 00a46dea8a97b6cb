import Joi from 'joi';
import { randomUUID } from 'node:crypto';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRegistration, type PublicIdentity } from '../../../../protocol/src/identity.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { RateLimitedError } from '../../services/errors.ts';
import * as S from '../../schemas.ts';
import { view } from './reset-view.ts';
import { pendingReset } from './schemas.ts';

/** POST /api/v1/users/me/reset: ask for a reset to new keys (proved by KEY5). */
export const requestResetRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users/me/reset',
  options: {
    tags: ['api', 'account'],
    description: 'Ask for a key reset (waits; the devices of the account can cancel it)',
    validate: { payload: Joi.object({ identity: S.publicIdentity.required(), proof: S.signature.required() }) },
    plugins: {
      openapi: {
        responses: {
          202: pendingReset, 400: 'bad_proof | user_id_mismatch', 409: 'reset_pending', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { identity, proof } = request.payload as { identity: PublicIdentity; proof: string };
    if (identity.userId !== me.userId) throw new ApiError(400, 'user_id_mismatch', 'identity.userId must be your user id');
    if (!(await verifyRegistration(identity, proof))) throw new ApiError(400, 'bad_proof', 'the proof does not match the identity');
    const { config, database } = request.server.app;
    const db = database.db;
    if ((await db.keyResets.recentCount(me.userPk)) >= config.resetRequestsPerDay) throw new RateLimitedError(3600);
    const current = await db.users.findByPk(me.userPk);
    if (!current) throw new ApiError(404, 'unknown_user', 'no user has this name');
    const created = await db.keyResets.create({
      id: randomUUID(), userPk: me.userPk, sessionId: me.sessionId, baseVersion: current.keyVersion, identity, proof,
      waitSeconds: config.resetWaitSeconds,
    });
    if (!created) throw new ApiError(409, 'reset_pending', 'a reset is already pending for this account');
    return h.response(view(await db.keyResets.pending(me.userPk)) ?? created).code(202);
  },
};
