import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRegistration, type PublicIdentity } from '../../../../protocol/src/identity.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/users/me/keys: a key reset appends version n+1; nothing is ever
 * overwritten (user_keys is append-only), so contacts can see the change (M2).
 */
export const resetKeysRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users/me/keys',
  options: {
    tags: ['api', 'directory'],
    description: 'Append a new key version (key reset)',
    validate: { payload: Joi.object({ identity: S.publicIdentity.required(), proof: S.signature.required() }) },
    plugins: { openapi: { responses: { 201: S.keyEntry, 200: 'the same keys again (idempotent retry)', 400: 'bad_proof | user_id_mismatch' } } },
  },
  async handler(request, h) {
    const me = caller(request);
    const { identity, proof } = request.payload as { identity: PublicIdentity; proof: string };
    if (identity.userId !== me.userId) throw new ApiError(400, 'user_id_mismatch', 'identity.userId must be your user id');
    if (!(await verifyRegistration(identity, proof))) throw new ApiError(400, 'bad_proof', 'the proof does not match the identity');
    const db = request.server.app.database.db;
    const current = await db.users.find(me.userId);
    if (current && current.identity.encryptionKey === identity.encryptionKey && current.identity.signingKey === identity.signingKey) {
      const history = await db.users.keyHistory(current.id);
      return h.response(history[history.length - 1]).code(200);
    }
    const entry = await db.users.appendKey(me.userPk, identity, proof);
    return h.response(entry).code(201);
  },
};
