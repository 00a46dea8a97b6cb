import type { WebSocket } from 'ws';
import type { Database } from '../../db/index.ts';
import { tokenHash } from '../../services/tokens.ts';
import { Connection } from './connection.ts';
import type { Feeds } from './feeds.ts';
import type { Registry } from './registry.ts';

/** The `auth` frame: the session behind the token, then the caller's subscriptions from its cursors. */
export class Authenticator {
  constructor(
    private readonly db: Database,
    private readonly feeds: Feeds,
    private readonly registry: Registry,
  ) {}

  /** The new connection (`ready` sent, subscriptions in place), or null for an unknown, revoked or expired token. */
  async authenticate(ws: WebSocket, token: string, cursors: Record<string, number>): Promise<Connection | null> {
    const session = await this.db.sessions.authenticate(tokenHash(token));
    if (!session || ws.readyState !== ws.OPEN) return null;
    const c = new Connection(ws, { userId: session.userId, userPk: session.userPk, sessionId: session.sessionId }, this.feeds);
    // Registered before the heads are read: a notification in between is remembered, not lost.
    this.registry.add(c);
    try {
      const heads = await this.db.log.memberCursors(c.user.userPk);
      c.send({ type: 'ready' });
      for (const { conversationId, lastSeq } of heads) c.subscribe(conversationId, cursors[conversationId] ?? 0, lastSeq);
    } catch (error) {
      this.registry.forget(c);
      throw error;
    } finally {
      this.registry.started(c);
    }
    return c;
  }
}
