import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

/** Who blocks whom (THREATS L3 message requests): the only thing the service keeps about it. */
export class BlocksRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Block; blocking again is harmless and keeps the first time. */
  add(blockerPk: number, blockedPk: number): Promise<{ createdAt: Date; created: boolean }> {
    return this.db.one(sql.blocks.insert, { blockerPk, blockedPk });
  }

  async remove(blockerPk: number, blockedPk: number): Promise<void> {
    await this.db.none(sql.blocks.delete, { blockerPk, blockedPk });
  }

  list(blockerPk: number, after: string | null, limit: number): Promise<{ userId: string; createdAt: Date }[]> {
    return this.db.any(sql.blocks.list, { blockerPk, after, limit });
  }

  /** Whether any of `blockerPks` blocks `blockedPk`. */
  async blockedByAny(blockedPk: number, blockerPks: number[]): Promise<boolean> {
    if (blockerPks.length === 0) return false;
    return (await this.db.one<{ blocked: boolean }>(sql.blocks.blockedByAny, { blockedPk, blockerPks })).blocked;
  }
}
