import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

export interface ConversationSummary {
  conversationId: string;
  latestSeq: number;
  latestEpoch: number;
  members: string[];
}

export class ConversationsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** False when the id exists already. The first entry (the epoch 0 record) takes seq 1. */
  async insert(id: string, creatorPk: number): Promise<boolean> {
    return (await this.db.oneOrNone(sql.conversations.insert, { id, creatorPk })) !== null;
  }

  /** Lock the conversation row until the transaction ends: appends serialise here. */
  lock(id: string): Promise<{ lastSeq: number; latestEpoch: number } | null> {
    return this.db.oneOrNone(sql.conversations.lock, { id });
  }

  list(userPk: number): Promise<ConversationSummary[]> {
    return this.db.any<ConversationSummary>(sql.conversations.list, { userPk });
  }

  /** The conversation's last seq if the user is a member of its latest epoch, else null. */
  async memberLastSeq(id: string, userPk: number): Promise<number | null> {
    const row = await this.db.oneOrNone<{ lastSeq: number }>(sql.conversations.isMember, { id, userPk });
    return row ? row.lastSeq : null;
  }

  async memberIds(id: string): Promise<string[]> {
    return (await this.db.any<{ userId: string }>(sql.conversations.memberIds, { id })).map((r) => r.userId);
  }

  /** Rewrite the access list; returns the users who were not members before. */
  async setMembers(id: string, userPks: number[]): Promise<number[]> {
    return (await this.db.any<{ userPk: number }>(sql.conversations.setMembers, { id, userPks })).map((r) => r.userPk);
  }

  async advanceEpoch(id: string, epoch: number): Promise<number> {
    return (await this.db.one<{ seq: number }>(sql.conversations.advanceEpoch, { id, epoch })).seq;
  }
}
