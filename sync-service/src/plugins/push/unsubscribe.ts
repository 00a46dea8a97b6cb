import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';

/** DELETE /api/v1/push/subscription: no more pushes to this session (204, whether or not it had one). */
export const unsubscribeRoute: ServerRoute = {
  method: 'DELETE',
  path: '/api/v1/push/subscription',
  options: {
    tags: ['api', 'push'],
    description: "Remove this session's push subscription",
    plugins: { openapi: { responses: { 204: 'no subscription (any more)' } } },
  },
  async handler(request, h) {
    const me = caller(request);
    await request.server.app.database.db.pushSubscriptions.removeSession(me.sessionId);
    return h.response().code(204);
  },
};
