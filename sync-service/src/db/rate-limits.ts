import type { IBaseProtocol } from 'pg-promise';
import { sql } from './sql/index.ts';

/** Fixed-window counters in Postgres, shared by every instance of the service. */
export class RateLimitsRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  hit(key: string, windowSeconds: number): Promise<{ count: number; retryAfter: number }> {
    return this.db.one(sql.rateLimits.hit, { key, windowSeconds });
  }

  async prune(): Promise<void> {
    await this.db.none(sql.rateLimits.prune);
  }
}
