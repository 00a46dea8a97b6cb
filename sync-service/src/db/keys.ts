import type { IBaseProtocol } from 'pg-promise';
import type { PublicIdentity } from '../../../protocol/src/identity.ts';
import { sql } from './sql/index.ts';

/** One version of a user's keys (protocol KeyHistoryEntry plus its time). */
export interface KeyEntry {
  version: number;
  identity: PublicIdentity;
  proof: string;
  createdAt: Date;
  kind: 'initial' | 'rotation' | 'reset';
  /** For a rotation: the nonce and the previous key's signature (ACCT2). */
  rotation: { nonce: string; signature: string } | null;
}

/** user_keys: append-only key history (THREATS M2, L1). */
export class KeysRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  history(userPk: number): Promise<KeyEntry[]> {
    return this.db.any<KeyEntry>(sql.keys.history, { userPk });
  }

  /**
   * Append version fromVersion + 1; null when fromVersion is no longer the latest (a
   * concurrent change won). A rotation carries the previous key's nonce and signature.
   */
  append(a: {
    userPk: number; fromVersion: number; identity: PublicIdentity; proof: string;
    kind: 'rotation' | 'reset'; rotation?: { nonce: string; signature: string };
  }): Promise<KeyEntry | null> {
    return this.db.oneOrNone<KeyEntry>(sql.keys.append, {
      userPk: a.userPk, fromVersion: a.fromVersion, identity: JSON.stringify(a.identity), proof: a.proof, kind: a.kind,
      nonce: a.rotation?.nonce ?? null, signature: a.rotation?.signature ?? null,
    });
  }
}
