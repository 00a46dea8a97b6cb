import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

export interface MessageAppend {
  conversationId: string;
  clientId: string;
  senderPk: number;
  epoch: number;
  /** Canonical JSON text of the envelope. */
  body: string;
  hash: Buffer;
}

export interface EpochAppend {
  conversationId: string;
  senderPk: number;
  epoch: number;
  /** Canonical JSON text of the record. */
  body: string;
  hash: Buffer;
  /** The record's members, registered users all. */
  memberPks: number[];
}

export type EpochAppendResult =
  | { status: 'stored'; seq: number; added: number[] }
  | { status: 'duplicate'; seq: number }
  | { status: 'epoch_conflict'; latestEpoch: number }
  | { status: 'conversation_exists' | 'not_found' };

export type AppendStatus = 'stored' | 'duplicate' | 'client_id_conflict' | 'not_found' | 'unknown_epoch';

/** A log entry with its body still as JSON text, ready to be spliced into a response. */
export interface RawEntry {
  seq: number;
  kind: 'epoch' | 'message';
  body: string;
  createdAt: Date;
}

export class LogRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /**
   * Append a signed epoch record (epoch 0 creates the conversation) and rewrite the access
   * list, in one statement: append_epoch() in db/migrations/001, called from
   * sql/log/append-epoch.sql. `added`: the members who were not members before.
   */
  async appendEpoch(e: EpochAppend): Promise<EpochAppendResult> {
    const row = await this.db.one<{ status: EpochAppendResult['status']; seq: number | null; latestEpoch: number | null; added: (number | string)[] | null }>(sql.log.appendEpoch, e);
    switch (row.status) {
      case 'stored': return { status: 'stored', seq: row.seq!, added: (row.added ?? []).map(Number) };
      case 'duplicate': return { status: 'duplicate', seq: row.seq! };
      case 'epoch_conflict': return { status: 'epoch_conflict', latestEpoch: row.latestEpoch! };
      default: return { status: row.status };
    }
  }

  /**
   * Append many envelopes, of one or several conversations, in one statement:
   * append_messages() in db/migrations/001, called from sql/log/append-messages.sql.
   * Results come back in input order.
   */
  async appendMessages(items: MessageAppend[]): Promise<{ status: AppendStatus; seq: number | null; createdAt: Date }[]> {
    const rows = await this.db.any<{ idx: number; status: AppendStatus; seq: number | null; createdAt: Date }>(sql.log.appendMessages, {
      conv: items.map((i) => i.conversationId),
      client: items.map((i) => i.clientId),
      sender: items.map((i) => i.senderPk),
      epoch: items.map((i) => i.epoch),
      body: items.map((i) => i.body),
      hash: items.map((i) => i.hash),
    });
    const out = new Array<{ status: AppendStatus; seq: number | null; createdAt: Date }>(items.length);
    for (const r of rows) out[r.idx - 1] = { status: r.status, seq: r.seq, createdAt: r.createdAt };
    return out;
  }

  /** Entries with after < seq <= upTo, oldest first, at most `limit`. */
  page(conversationId: string, after: number, upTo: number, limit: number): Promise<RawEntry[]> {
    return this.db.any<RawEntry>(sql.log.page, { conversationId, after, upTo, limit });
  }

  /** Entries after a cursor, empty once the user is no longer a member. */
  pageForMember(conversationId: string, userPk: number, after: number, limit: number): Promise<RawEntry[]> {
    return this.db.any<RawEntry>(sql.log.pageMember, { conversationId, userPk, after, limit });
  }

  /**
   * Realtime fan-out: entries after a cursor (any reader's), read once for every local
   * socket, and which of `userPks` are members now (same snapshot).
   */
  async pageForMembers(conversationId: string, userPks: number[], after: number, limit: number): Promise<{ rows: RawEntry[]; members: number[] }> {
    const result = await this.db.any<RawEntry & { members: (number | string)[] }>(sql.log.pageFeed, { conversationId, userPks, after, limit });
    const members = (result[0]?.members ?? []).map(Number);
    const rows = result[0]?.seq == null ? [] : result.map(({ members: _m, ...r }) => r as RawEntry);
    return { rows, members };
  }

  memberCursors(userPk: number): Promise<{ conversationId: string; lastSeq: number }[]> {
    return this.db.any(sql.log.memberCursors, { userPk });
  }

  /**
   * One window of the caller's conversations (THREATS L3): ids in (after, until] in byte
   * order, at most `limit`. null: no bound on that side.
   */
  memberWindow(userPk: number, after: string | null, until: string | null, limit: number): Promise<{ conversationId: string; lastSeq: number }[]> {
    return this.db.any(sql.log.memberWindow, { userPk, after, until, limit });
  }
}
