import type { IBaseProtocol } from 'pg-promise';
import type { PublicIdentity } from '../../../protocol/src/identity.ts';
import { sql } from './sql/index.ts';

export interface PendingReset {
  id: string;
  sessionId: string;
  deviceName: string;
  baseVersion: number;
  identity: PublicIdentity;
  proof: string;
  requestedAt: Date;
  completesAt: Date;
  /** The waiting period is over. */
  due: boolean;
}

/** Key resets without the old key: they wait, and the owner's devices can cancel them (THREATS L1). */
export class KeyResetsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Resets this user asked for in the last 24 hours (the per-user limit). */
  async recentCount(userPk: number): Promise<number> {
    return (await this.db.one<{ count: number }>(sql.keyResets.recent, { userPk })).count;
  }

  /** Close open resets that can no longer complete, then open a new one; null when one is open. */
  async create(r: {
    id: string; userPk: number; sessionId: string; baseVersion: number; identity: PublicIdentity; proof: string; waitSeconds: number;
  }): Promise<{ id: string; requestedAt: Date; completesAt: Date } | null> {
    await this.db.none(sql.keyResets.closeStale, { userPk: r.userPk });
    return this.db.oneOrNone(sql.keyResets.insert, { ...r, identity: JSON.stringify(r.identity) });
  }

  pending(userPk: number): Promise<PendingReset | null> {
    return this.db.oneOrNone<PendingReset>(sql.keyResets.pending, { userPk });
  }

  async cancel(id: string, userPk: number): Promise<boolean> {
    return (await this.db.oneOrNone(sql.keyResets.cancel, { id, userPk })) !== null;
  }

  /** Mark completed (by the asking session, once due); what to append, or null. */
  complete(id: string, userPk: number, sessionId: string): Promise<{ baseVersion: number; identity: PublicIdentity; proof: string } | null> {
    return this.db.oneOrNone(sql.keyResets.complete, { id, userPk, sessionId });
  }
}
