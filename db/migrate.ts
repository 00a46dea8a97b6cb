import Postgrator from 'postgrator';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from './multi-host.ts';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

// Several service instances may start at once against one database: an advisory
// lock makes them migrate one after another instead of racing on DDL.
const MIGRATION_LOCK_KEY = 0x4d48_4d49; // "MHMI"

/** The highest migration number in db/migrations. */
export function latestMigration(dir: string = MIGRATIONS_DIR): number {
  return Math.max(0, ...readdirSync(dir).map((f) => /^(\d+)\.do\./.exec(f)?.[1]).filter((n) => n !== undefined).map(Number));
}

/** The database was migrated by other code than this: its schema is not the one this code expects. */
export class SchemaAheadError extends Error {
  constructor(version: number, latest: number) {
    super(
      `the database is at schema version ${version}, but this code's migrations end at ${latest}; ` +
      'a database made before the 001 squash (pre-release) must be recreated: delete DATA_DIR, or drop the database',
    );
    this.name = 'SchemaAheadError';
  }
}

export interface MigrationResult {
  applied: string[];
  version: number;
}

/**
 * Apply every pending forward-only migration in db/migrations, recorded in `schemaversion`.
 * A database at a higher version than the last migration here is refused (SchemaAheadError).
 */
export async function migrate(databaseUrl: string): Promise<MigrationResult> {
  const client = createClient(databaseUrl);
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
    const latest = latestMigration();
    if (version > latest) throw new SchemaAheadError(version, latest);
    return { applied: applied.map((m) => m.filename), version };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
