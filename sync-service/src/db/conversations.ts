import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

export interface ConversationSummary {
  conversationId: string;
  latestSeq: number;
  latestEpoch: number;
  /** When the latest entry was stored (ms since 1970): recency, which the service knows anyway. */
  latestAt: number;
  members: string[];
}

export class ConversationsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** The caller's conversations with an id above `after` (null: from the first), at most `limit`, in byte order. */
  list(userPk: number, after: string | null, limit: number): Promise<ConversationSummary[]> {
    return this.db.any<ConversationSummary>(sql.conversations.list, { userPk, after, limit });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.one<{ exists: boolean }>(sql.conversations.exists, { id })).exists;
  }

  /** The members of the latest epoch (user keys); empty when there is no such conversation. */
  async memberPks(id: string): Promise<number[]> {
    return (await this.db.any<{ userPk: number | string }>(sql.conversations.memberPks, { id })).map((r) => Number(r.userPk));
  }

  /** The conversation's last seq if the user is a member of its latest epoch, else null. */
  async memberLastSeq(id: string, userPk: number): Promise<number | null> {
    const row = await this.db.oneOrNone<{ lastSeq: number }>(sql.conversations.isMember, { id, userPk });
    return row ? row.lastSeq : null;
  }

  /**
   * SPEC §8c: relay a typing signal to every instance (NOTIFY on CHANNEL_TYPING, payload
   * "<conversationId> <userId> <sealed>", under Postgres' 8000-byte limit). Writes no row.
   */
  async notifyTyping(payload: string): Promise<void> {
    await this.db.one(sql.conversations.notifyTyping, { payload });
  }
}
