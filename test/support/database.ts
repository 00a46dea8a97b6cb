import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { queryOnce } from './pg.ts';

const TEMPLATE_DATABASE = 'messagehub_template';

export interface TestDatabase {
  name: string;
  url: string;
  /** Run SQL as the superuser on this database (tests that play the attacker). */
  query<T extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

/** A fresh, migrated database of the run's embedded Postgres, for one test file. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  return await copyDatabase(TEMPLATE_DATABASE, prefix);
}

/**
 * A copy of `source` as it is now (Postgres copies a database nobody is connected to:
 * close the pools on it first). Stands in for a standby that has replayed up to now.
 */
export async function copyTestDatabase(source: TestDatabase, prefix = 'copy'): Promise<TestDatabase> {
  return await copyDatabase(source.name, prefix);
}

async function copyDatabase(template: string, prefix: string): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    name,
    url: databaseUrl,
    query: (sql, params) => queryOnce(databaseUrl, sql, params),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
