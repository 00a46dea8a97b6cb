import type { IBaseProtocol, IMain } from 'pg-promise';
import { sql } from './sql/index.ts';

export class HealthRepository {
  constructor(private readonly db: IBaseProtocol<unknown>, private readonly pgp: IMain) {}

  /** Round trip to Postgres and the applied schema version. */
  async check(): Promise<{ schemaVersion: number }> {
    const row = await this.db.one<{ version: number }>(sql.health.schemaVersion);
    return { schemaVersion: row.version };
  }
}
