import Boom from '@hapi/boom';
import type { Request, ServerAuthScheme } from '@hapi/hapi';
import { bearerToken, tokenHash } from '../../services/tokens.ts';

export interface Caller {
  userId: string;
  userPk: number;
  sessionId: string;
}

declare module '@hapi/hapi' {
  interface UserCredentials {
    userId: string;
    userPk: number;
    sessionId: string;
  }
}

/**
 * Bearer tokens checked against Postgres on every request (hash, expiry,
 * revocation), so any instance can serve any request and a revoked token stops
 * working everywhere at once.
 */
export const bearerScheme: ServerAuthScheme = () => ({
  async authenticate(request, h) {
    const token = bearerToken(request.headers.authorization as string | undefined);
    if (!token) throw Boom.unauthorized('a valid bearer token is required', 'Bearer');
    const db = request.server.app.database.db;
    const session = await db.sessions.authenticate(tokenHash(token));
    if (!session) throw Boom.unauthorized('the token is unknown, expired or revoked', 'Bearer');
    if (session.stale) void db.sessions.touch(session.sessionId).catch(() => undefined);
    const user = { userId: session.userId, userPk: session.userPk, sessionId: session.sessionId };
    return h.authenticated({ credentials: { user } });
  },
});

/** The authenticated caller of a route that requires a session. */
export function caller(request: Request): Caller {
  const user = request.auth.credentials.user;
  if (!user) throw Boom.unauthorized('a valid bearer token is required', 'Bearer');
  return user;
}
