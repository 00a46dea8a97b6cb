import type { ServerRoute } from '@hapi/hapi';
import { caller } from './scheme.ts';

/** POST /api/v1/auth/logout: revoke the session of the token used. */
export const logoutRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/auth/logout',
  options: {
    tags: ['api', 'auth'],
    description: 'Revoke the current session',
    plugins: { openapi: { responses: { 204: 'logged out' } } },
  },
  async handler(request, h) {
    const me = caller(request);
    await request.server.app.database.db.sessions.revoke(me.sessionId, me.userPk);
    request.server.app.sessionCache.evictSession(me.sessionId);
    return h.response().code(204);
  },
};
