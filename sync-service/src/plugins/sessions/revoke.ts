import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

/** DELETE /api/v1/sessions/{sessionId}: revoke one of my sessions; anyone else's is not found. */
export const revokeSessionRoute: ServerRoute = {
  method: 'DELETE',
  path: '/api/v1/sessions/{sessionId}',
  options: {
    tags: ['api', 'sessions'],
    description: 'Revoke one of my sessions',
    validate: { params: Joi.object({ sessionId: S.uuid.required() }) },
    plugins: { openapi: { responses: { 204: 'revoked', 404: 'not_found' } } },
  },
  async handler(request, h) {
    const me = caller(request);
    const { sessionId } = request.params as { sessionId: string };
    const revoked = await request.server.app.database.db.sessions.revoke(sessionId, me.userPk);
    if (revoked) request.server.app.sessionCache.evictSession(sessionId);
    if (!revoked) throw new ApiError(404, 'not_found', 'no such session');
    return h.response().code(204);
  },
};
