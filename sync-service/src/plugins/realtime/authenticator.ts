import type { WebSocket } from 'ws';
import type { Database } from '../../db/index.ts';
import { tokenHash } from '../../services/tokens.ts';
import { Connection } from './connection.ts';
import type { Feeds } from './feeds.ts';
import type { Registry } from './registry.ts';

/** Heads read per query while a window is subscribed (a window without `until` may be long). */
const HEADS_CHUNK = 1000;

/** One window of subscriptions: the conversations in (after, until] and the client's cursors for them. */
export interface Window {
  after: string | null;
  until: string | null;
  cursors: Record<string, number>;
}

/**
 * The `auth` frame: the session behind the token, then the caller's subscriptions from its
 * cursors, one window at a time (THREATS L3): `auth` subscribes the first window, each
 * `subscribe` frame the next; the connection remembers notifications for the conversations
 * not subscribed yet until the last window (no `until`) is in place.
 */
export class Authenticator {
  constructor(
    private readonly db: Database,
    private readonly feeds: Feeds,
    private readonly registry: Registry,
  ) {}

  /** The new connection (`ready` sent, its first window subscribed), or null for an unknown, revoked or expired token. */
  async authenticate(ws: WebSocket, token: string, first: Window): Promise<Connection | null> {
    const hash = tokenHash(token);
    const session = await this.db.sessions.authenticate(hash);
    if (!session || ws.readyState !== ws.OPEN) return null;
    const c = new Connection(ws, { userId: session.userId, userPk: session.userPk, sessionId: session.sessionId }, this.feeds, hash);
    // Registered before the heads are read: a notification in between is remembered, not lost.
    this.registry.add(c);
    c.send({ type: 'ready' });
    try {
      await this.subscribeWindow(c, first);
    } catch (error) {
      this.registry.forget(c);
      throw error;
    }
    return c;
  }

  /**
   * Subscribe one window: every conversation of the caller in (after, until], from the
   * client's cursor (0 when not named). `after` must be where the previous window ended.
   * False when it is not (nothing changes).
   */
  async subscribeWindow(c: Connection, w: Window): Promise<boolean> {
    if (c.windowEnd === undefined || w.after !== c.windowEnd) return false;
    let after = w.after;
    for (;;) {
      const heads = await this.db.log.memberWindow(c.user.userPk, after, w.until, HEADS_CHUNK);
      for (const { conversationId, lastSeq } of heads) c.subscribe(conversationId, w.cursors[conversationId] ?? 0, lastSeq);
      if (heads.length < HEADS_CHUNK) break;
      after = heads[heads.length - 1]!.conversationId;
    }
    if (w.until === null) {
      c.windowEnd = undefined;
      this.registry.started(c);
    } else c.windowEnd = w.until;
    return true;
  }
}
