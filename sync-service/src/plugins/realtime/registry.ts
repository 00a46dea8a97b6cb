import type { Database } from '../../db/index.ts';
import type { RawEntry } from '../../db/log.ts';
import type { StoredEntry } from '../../services/append-queue.ts';
import type { Connection } from './connection.ts';
import type { Feeds } from './feeds.ts';

/**
 * The instance's authenticated sockets, by user, and what to do when Postgres says
 * something changed: a new entry (`log`), a new member (`member`), or notifications
 * possibly missed after a LISTEN outage (`resync`).
 */
export class Registry {
  readonly connections = new Set<Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  /** Connections still reading their first subscriptions (they remember every notification). */
  private readonly starting = new Set<Connection>();

  constructor(
    private readonly db: Database,
    private readonly feeds: Feeds,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A connection that is reading its first subscriptions: notifications are remembered meanwhile. */
  add(c: Connection): void {
    this.connections.add(c);
    this.starting.add(c);
    let set = this.byUser.get(c.user.userId);
    if (!set) this.byUser.set(c.user.userId, (set = new Set()));
    set.add(c);
  }

  /** Its first subscriptions are in place. */
  started(c: Connection): void {
    c.started();
    this.starting.delete(c);
  }

  forget(c: Connection): void {
    c.dispose();
    this.connections.delete(c);
    this.starting.delete(c);
    const set = this.byUser.get(c.user.userId);
    set?.delete(c);
    if (set?.size === 0) this.byUser.delete(c.user.userId);
  }

  /** An entry exists up to seq. */
  onLog(conversationId: string, seq: number): void {
    this.feeds.advance(conversationId, seq);
    for (const c of this.starting) c.advance(conversationId, seq);
  }

  /**
   * Entries this instance just committed: pushed to its sockets without a read (Feed.deliver);
   * the NOTIFY of the same commit follows, for the other instances and as the fallback here.
   */
  onStored(entries: StoredEntry[]): void {
    const byConversation = new Map<string, RawEntry[]>();
    for (const e of entries) {
      const rows = byConversation.get(e.conversationId);
      const row: RawEntry = { seq: e.seq, kind: 'message', body: e.body, createdAt: e.createdAt };
      if (rows) rows.push(row);
      else byConversation.set(e.conversationId, [row]);
    }
    for (const [conversationId, rows] of byConversation) {
      rows.sort((x, y) => x.seq - y.seq);
      this.feeds.deliver(conversationId, rows);
      const last = rows[rows.length - 1]!.seq;
      for (const c of this.starting) c.advance(conversationId, last);
    }
  }

  /** A user was added to a conversation. */
  onMember(conversationId: string, userId: string): void {
    for (const c of this.byUser.get(userId) ?? []) void this.addConversation(c, conversationId);
  }

  /** After a LISTEN outage: every connection re-reads its heads. */
  onResync(): void {
    for (const c of this.connections) void this.refresh(c);
  }

  private async addConversation(c: Connection, conversationId: string): Promise<void> {
    try {
      const lastSeq = await this.db.conversations.memberLastSeq(conversationId, c.user.userPk);
      if (lastSeq === null || c.closed) return;
      if (!c.has(conversationId)) c.send({ type: 'conversation', conversationId });
      c.subscribe(conversationId, 0, lastSeq);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Re-read every conversation's head, then push what was missed. */
  private async refresh(c: Connection): Promise<void> {
    try {
      const heads = await this.db.log.memberCursors(c.user.userPk);
      for (const { conversationId, lastSeq } of heads) {
        if (c.has(conversationId)) c.advance(conversationId, lastSeq);
        // Still sending its windows: the rest come with their cursors (notifications are remembered).
        else if (c.starting) c.advance(conversationId, lastSeq);
        else {
          c.send({ type: 'conversation', conversationId });
          c.subscribe(conversationId, 0, lastSeq);
        }
      }
    } catch (error) {
      this.onError(error);
    }
  }
}
