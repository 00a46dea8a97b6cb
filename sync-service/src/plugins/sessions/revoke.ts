import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRevokeSession } from '../../../../protocol/src/account-proofs.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { requireSignedChange } from '../account/signed-change.ts';
import { signedChange } from '../account/schemas.ts';
import * as S from '../../schemas.ts';

/**
 * DELETE /api/v1/sessions/{sessionId}: revoke one of my sessions; anyone else's is not
 * found. Needs the current key's signature over a `revoke-session` challenge (THREATS L1,
 * protocol ACCT3): a stolen token cannot sign the owner's devices out.
 */
export const revokeSessionRoute: ServerRoute = {
  method: 'DELETE',
  path: '/api/v1/sessions/{sessionId}',
  options: {
    tags: ['api', 'sessions'],
    description: 'Revoke one of my sessions (signed by the current key)',
    validate: { params: Joi.object({ sessionId: S.uuid.required() }), payload: Joi.object(signedChange).required() },
    plugins: {
      openapi: {
        responses: { 204: 'revoked', 403: 'bad_signature | challenge_used | challenge_expired', 404: 'not_found | unknown_challenge' },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { sessionId } = request.params as { sessionId: string };
    const { challengeId, signature } = request.payload as { challengeId: string; signature: string };
    await requireSignedChange(request, me, 'revoke-session', challengeId, (cur, nonce) =>
      verifyRevokeSession(cur.identity, nonce, sessionId, signature));
    const revoked = await request.server.app.database.db.sessions.revoke(sessionId, me.userPk);
    if (!revoked) throw new ApiError(404, 'not_found', 'no such session');
    request.server.app.sessionCache.evictSession(sessionId);
    return h.response().code(204);
  },
};
