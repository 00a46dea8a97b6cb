import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

/** What a signed account change is for (protocol ACCT1). */
export type AccountPurpose = 'rotate' | 'revoke-session' | 'cancel-reset';

/** Single-use nonces for signed account changes, bound to user and purpose (THREATS L1). */
export class AccountChallengesRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  create(c: { id: string; userPk: number; purpose: AccountPurpose; nonce: string; ttlSeconds: number }) {
    return this.db.one<{ expiresAt: Date }>(sql.accountChallenges.insert, c);
  }

  /** Atomically mark used; null when unknown, of another user or purpose, used or expired. */
  async consume(id: string, userPk: number, purpose: AccountPurpose): Promise<string | null> {
    const row = await this.db.oneOrNone<{ nonce: string }>(sql.accountChallenges.consume, { id, userPk, purpose });
    return row?.nonce ?? null;
  }

  state(id: string, userPk: number, purpose: AccountPurpose): Promise<{ used: boolean; expired: boolean } | null> {
    return this.db.oneOrNone(sql.accountChallenges.state, { id, userPk, purpose });
  }

  async prune(): Promise<void> {
    await this.db.none(sql.accountChallenges.prune);
  }
}
