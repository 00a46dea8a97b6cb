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
 * Bearer tokens checked against Postgres (hash, expiry, revocation), so any instance
 * can serve any request. A lookup is reused for at most `config.sessionCacheMs`
 * (services/session-cache.ts): a token revoked through this instance stops working
 * at once, through another instance within that bound.
 */
export const bearerScheme: ServerAuthScheme = () => ({
  async authenticate(request, h) {
    const token = bearerToken(request.headers.authorization as string | undefined);
    if (!token) throw Boom.unauthorized('a valid bearer token is required', 'Bearer');
    const { database, sessionCache } = request.server.app;
    const db = database.db;
    const hash = tokenHash(token);
    const session = await sessionCache.get(hash, () => db.sessions.authenticate(hash));
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
