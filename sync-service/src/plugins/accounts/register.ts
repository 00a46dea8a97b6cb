import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRegistration } from '../../../../protocol/src/identity.ts';
import type { PublicIdentity } from '../../../../protocol/src/identity.ts';
import { ApiError } from '../errors/index.ts';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import * as S from '../../schemas.ts';
import type { RegisterResponse } from '../../../../protocol/src/index.ts';

/**
 * POST /api/v1/users: register a user name with its public keys and a proof of
 * possession (protocol KEY7). Names are unique without regard to case: the
 * userId is the name folded to lower case.
 */
export const registerRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users',
  options: {
    auth: false,
    tags: ['api', 'accounts'],
    description: 'Register a user',
    validate: {
      payload: Joi.object({
        userName: S.userName.required(),
        identity: S.publicIdentity.required(),
        proof: S.signature.required(),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ userId: S.userId, displayName: Joi.string(), keyVersion: Joi.number().integer() }),
          200: 'the same registration again (idempotent retry)',
          400: 'bad_proof | user_id_mismatch', 409: 'user_name_taken', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const { userName, identity, proof } = request.payload as { userName: string; identity: PublicIdentity; proof: string };
    const { config, database } = request.server.app;
    const db = database.db;
    const userId = userName.toLowerCase();
    if (identity.userId !== userId) {
      throw new ApiError(400, 'user_id_mismatch', 'identity.userId must be the user name in lower case');
    }
    await sharedLimit(db, `register:ip:${clientAddress(request)}`, config.loginRateLimitPerMinute);
    if (!(await verifyRegistration(identity, proof))) {
      throw new ApiError(400, 'bad_proof', 'the proof does not match the identity');
    }
    const created = await db.users.create({ userId, displayName: userName, identity, proof });
    if (created) return h.response(created satisfies RegisterResponse).code(201);
    // A retry of the same registration (the answer was lost) is not a conflict.
    const existing = await db.users.find(userId);
    if (existing && existing.keyVersion === 1 && existing.displayName === userName && sameIdentity(existing.identity, identity)) {
      return h.response({ userId, displayName: existing.displayName, keyVersion: 1 } satisfies RegisterResponse).code(200);
    }
    throw new ApiError(409, 'user_name_taken', 'this user name is taken');
  },
};

function sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return a.v === b.v && a.userId === b.userId && a.encryptionKey === b.encryptionKey && a.signingKey === b.signingKey;
}
