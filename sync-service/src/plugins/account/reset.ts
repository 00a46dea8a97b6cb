import Joi from 'joi';
import { randomUUID } from 'node:crypto';
import type { ServerRoute } from '@hapi/hapi';
import { verifyRegistration, type PublicIdentity } from '../../../../protocol/src/identity.ts';
import { verifyCancelReset } from '../../../../protocol/src/account-proofs.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { rateLimited } from '../../services/rate-limit.ts';
import { requireSignedChange } from '../../services/signed-change.ts';
import type { PendingReset } from '../../db/key-resets.ts';
import * as S from '../../schemas.ts';
import { keyEntry, pendingReset, signedChange } from './schemas.ts';

// Key reset when every key is lost (THREATS L1). Never with a token alone, never silent:
// a session asks, then waits RESET_WAIT_SECONDS (default 7 days) during which every
// device of the account sees the pending reset (GET) and can cancel it with the current
// key (DELETE, ACCT4). Only the asking session can complete it; revoking that session,
// or rotating the keys, voids it. Completing appends a version of kind 'reset' (contacts
// see a blocking key change) and revokes every session of the account.

const resetParams = Joi.object({ resetId: S.uuid.required() });

/** What devices are shown: everything but the proof. */
function view(p: PendingReset | null) {
  if (!p) return null;
  const { proof: _proof, ...shown } = p;
  return shown;
}

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
    if ((await db.keyResets.recentCount(me.userPk)) >= config.resetRequestsPerDay) throw rateLimited(3600);
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

/** GET /api/v1/users/me/reset: the pending reset every device of the account must show. */
export const getResetRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/me/reset',
  options: {
    tags: ['api', 'account'],
    description: 'The pending key reset of my account, if any',
    plugins: { openapi: { responses: { 200: Joi.object({ pending: pendingReset.allow(null) }) } } },
  },
  async handler(request) {
    const me = caller(request);
    return { pending: view(await request.server.app.database.db.keyResets.pending(me.userPk)) };
  },
};

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

/** POST /api/v1/users/me/reset/{resetId}/complete: after the wait, by the asking session. */
export const completeResetRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/users/me/reset/{resetId}/complete',
  options: {
    tags: ['api', 'account'],
    description: 'Complete a key reset once its waiting period is over; revokes every session',
    validate: { params: resetParams },
    plugins: {
      openapi: {
        responses: { 201: keyEntry, 404: 'no_pending_reset', 409: 'reset_waiting | key_changed' },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { resetId } = request.params as { resetId: string };
    const { database, sessionCache } = request.server.app;
    const db = database.db;
    const pending = await db.keyResets.pending(me.userPk);
    if (!pending || pending.id !== resetId || pending.sessionId !== me.sessionId) {
      throw new ApiError(404, 'no_pending_reset', 'no pending reset asked for by this session');
    }
    if (!pending.due) {
      throw new ApiError(409, 'reset_waiting', 'the waiting period of this reset is not over', { completesAt: pending.completesAt });
    }
    const result = await db.tx('complete-reset', async (t) => {
      const reset = await t.keyResets.complete(resetId, me.userPk, me.sessionId);
      if (!reset) return null;
      const entry = await t.keys.append({ userPk: me.userPk, fromVersion: reset.baseVersion, identity: reset.identity, proof: reset.proof, kind: 'reset' });
      if (!entry) throw new ApiError(409, 'key_changed', 'the keys changed since the reset was asked for');
      return { entry, revoked: await t.sessions.revokeAll(me.userPk) };
    });
    if (!result) throw new ApiError(404, 'no_pending_reset', 'no pending reset asked for by this session');
    for (const id of result.revoked) sessionCache.evictSession(id);
    return h.response(result.entry).code(201);
  },
};
