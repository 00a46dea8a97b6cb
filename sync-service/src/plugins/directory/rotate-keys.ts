import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRegistration, type PublicIdentity } from '../../../../protocol/src/identity.ts';
import { verifyRotation } from '../../../../protocol/src/account-proofs.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { requireSignedChange } from '../account/signed-change.ts';
import { keyEntry, signedChange } from '../account/schemas.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/users/me/keys: key rotation (THREATS L1, protocol ACCT2). The new keys
 * prove possession (KEY5) and the CURRENT key signs them over a fresh `rotate`
 * challenge, so a bearer token alone cannot replace the keys. Appends version n+1 with
 * the signature (clients check it themselves); nothing is ever overwritten (M2).
 */
export const rotateKeysRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users/me/keys',
  options: {
    tags: ['api', 'directory'],
    description: 'Rotate keys: append a version signed by the current key',
    validate: {
      payload: Joi.object({ identity: S.publicIdentity.required(), proof: S.signature.required(), ...signedChange }),
    },
    plugins: {
      openapi: {
        responses: {
          201: keyEntry, 200: 'the same keys again (idempotent retry)',
          400: 'bad_proof | user_id_mismatch', 403: 'bad_signature | challenge_used | challenge_expired',
          404: 'unknown_challenge', 409: 'key_changed',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { identity, proof, challengeId, signature } = request.payload as { identity: PublicIdentity; proof: string; challengeId: string; signature: string };
    if (identity.userId !== me.userId) throw new ApiError(400, 'user_id_mismatch', 'identity.userId must be your user id');
    if (!(await verifyRegistration(identity, proof))) throw new ApiError(400, 'bad_proof', 'the proof does not match the identity');
    const db = request.server.app.database.db;
    const latest = await db.users.findByPk(me.userPk);
    if (latest && latest.identity.encryptionKey === identity.encryptionKey && latest.identity.signingKey === identity.signingKey) {
      // A retry whose answer was lost: nothing changes, so nothing needs signing.
      const history = await db.keys.history(me.userPk);
      return h.response(history[history.length - 1]).code(200);
    }
    const { current, nonce } = await requireSignedChange(request, me, 'rotate', challengeId, (cur, n) =>
      verifyRotation(cur.identity, { nonce: n, fromVersion: cur.keyVersion }, identity, signature));
    const entry = await db.keys.append({
      userPk: me.userPk, fromVersion: current.keyVersion, identity, proof, kind: 'rotation', rotation: { nonce, signature },
    });
    if (!entry) throw new ApiError(409, 'key_changed', 'your keys changed meanwhile; sign the rotation again with the current key');
    return h.response(entry).code(201);
  },
};
