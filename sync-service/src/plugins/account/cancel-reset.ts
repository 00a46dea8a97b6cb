import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyCancelReset } from '../../../../protocol/src/account-proofs.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { requireSignedChange } from './signed-change.ts';
import { resetParams } from './reset-view.ts';
import { signedChange } from './schemas.ts';

/** DELETE /api/v1/users/me/reset/{resetId}: cancel it, signed by the current key (ACCT4). */
export const cancelResetRoute: ServerRoute = {
  method: 'DELETE',
  path: '/api/v1/users/me/reset/{resetId}',
  options: {
    tags: ['api', 'account'],
    description: 'Cancel a pending key reset (signed by the current key)',
    validate: { params: resetParams, payload: Joi.object(signedChange).required() },
    plugins: {
      openapi: {
        responses: { 204: 'cancelled', 403: 'bad_signature | challenge_used | challenge_expired', 404: 'no_pending_reset | unknown_challenge' },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { resetId } = request.params as { resetId: string };
    const { challengeId, signature } = request.payload as { challengeId: string; signature: string };
    await requireSignedChange(request, me, 'cancel-reset', challengeId, (cur, nonce) =>
      verifyCancelReset(cur.identity, nonce, resetId, signature));
    if (!(await request.server.app.database.db.keyResets.cancel(resetId, me.userPk))) {
      throw new ApiError(404, 'no_pending_reset', 'no such pending reset');
    }
    return h.response().code(204);
  },
};
