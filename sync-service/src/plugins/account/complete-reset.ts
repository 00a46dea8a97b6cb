import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { resetParams } from './reset-view.ts';
import { keyEntry } from './schemas.ts';

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
