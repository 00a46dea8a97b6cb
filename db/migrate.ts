import Postgrator from 'postgrator';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

// Several service instances may start at once against one database: an advisory
// lock makes them migrate one after another instead of racing on DDL.
const MIGRATION_LOCK_KEY = 0x4d48_4d49; // "MHMI"

export interface MigrationResult {
  applied: string[];
  version: number;
}

/** Apply every pending forward-only migration in db/migrations, recorded in `schemaversion`. */
export async function migrate(databaseUrl: string): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const postgrator = new Postgrator({
      migrationPattern: path.join(MIGRATIONS_DIR, '*'),
      driver: 'pg',
      schemaTable: 'schemaversion',
      execQuery: (query: string) => client.query(query),
    });
    const applied = await postgrator.migrate();
    const version = Number(await postgrator.getDatabaseVersion());
    return { applied: applied.map((m) => m.filename), version };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
