import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

export class ChallengesRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  create(c: { id: string; userPk: number; nonce: string; origin: string; ttlSeconds: number }) {
    return this.db.one<{ expiresAt: Date }>(sql.challenges.insert, c);
  }

  /** Atomically mark the challenge used; null when unknown, used or expired. */
  consume(id: string): Promise<{ userPk: number; nonce: string; origin: string } | null> {
    return this.db.oneOrNone(sql.challenges.consume, { id });
  }

  /** Why a challenge could not be consumed. */
  state(id: string): Promise<{ used: boolean; expired: boolean } | null> {
    return this.db.oneOrNone(sql.challenges.state, { id });
  }

  async prune(): Promise<void> {
    await this.db.none(sql.challenges.prune);
  }
}
