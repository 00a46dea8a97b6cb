import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/support/use-database.ts';
import { SchemaAheadError, latestMigration, migrate } from './migrate.ts';

describe('db/migrate', () => {
  const db = useTestDatabase('migrate');

  it('a migrated database is at the last migration; migrating again applies nothing', async () => {
    expect(latestMigration()).toBeGreaterThanOrEqual(1);
    expect(await migrate(db().url)).toEqual({ applied: [], version: latestMigration() });
  });

  it('refuses a database at a higher schema version than the migrations here (made before the 001 squash)', async () => {
    const latest = latestMigration();
    await db().query("INSERT INTO schemaversion (version, name, md5, run_at) VALUES ($1, 'from-elsewhere', 'x', now())", [latest + 1]);
    await expect(migrate(db().url)).rejects.toThrow(SchemaAheadError);
    await expect(migrate(db().url)).rejects.toThrow(`schema version ${latest + 1}, but this code's migrations end at ${latest}`);
  });
});
