import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

/** A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys), as the push sender needs it. */
export interface PushTarget {
  endpoint: string;
  /** base64url P-256 public key of the browser */
  p256dh: string;
  /** base64url 16-byte authentication secret */
  auth: string;
}

/** Web Push subscriptions, one per device session (SECURITY.md "Notifications"). */
export class PushSubscriptionsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Make or replace this session's subscription; true when it is new. */
  async put(sessionId: string, userPk: number, target: PushTarget): Promise<boolean> {
    const row = await this.db.one<{ created: boolean }>(sql.pushSubscriptions.upsert, { sessionId, userPk, ...target });
    return row.created;
  }

  async removeSession(sessionId: string): Promise<void> {
    await this.db.none(sql.pushSubscriptions.deleteSession, { sessionId });
  }

  /** The push service said the subscription is gone (404/410). */
  async removeEndpoint(endpoint: string): Promise<void> {
    await this.db.none(sql.pushSubscriptions.deleteEndpoint, { endpoint });
  }

  /** Who to wake for entries stored in these conversations by these senders (pairs, same length). */
  targets(conversationIds: string[], senderPks: number[]): Promise<PushTarget[]> {
    return this.db.any(sql.pushSubscriptions.targets, { conversationIds, senderPks });
  }
}
