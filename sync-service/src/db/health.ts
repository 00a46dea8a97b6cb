import type { IBaseProtocol, IMain } from 'pg-promise';

export class HealthRepository {
  constructor(private readonly db: IBaseProtocol<unknown>, private readonly pgp: IMain) {}

  /** Round trip to Postgres and the applied schema version. */
  async check(): Promise<{ schemaVersion: number }> {
    const row = await this.db.one<{ version: number }>(
      'SELECT coalesce(max(version), 0)::int AS version FROM schemaversion',
    );
    return { schemaVersion: row.version };
  }
}
