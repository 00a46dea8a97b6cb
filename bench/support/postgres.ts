// The benchmark run's one embedded Postgres, in a temp dir, with a migrated template
// from which each benchmark takes a fresh database (so one run's rows never slow another).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { queryOnce } from '../../test/support/pg.ts';

const TEMPLATE = 'bench_template';

export interface BenchPostgres {
  adminUrl: string;
  /** A fresh, migrated database; its URL. */
  freshDatabase(prefix: string): Promise<string>;
  /** Run one SQL statement as the superuser on a database of this cluster. */
  query<T extends pg.QueryResultRow = any>(databaseUrl: string, sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  /** Transactions committed or rolled back in a database so far (pg_stat_database; flushed about once a second). */
  transactions(databaseUrl: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(log: (line: string) => void): Promise<BenchPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-bench-pg-'));
  await chmod(dataDir, 0o700);
  const cluster = await startEmbeddedPostgres({ dataDir });
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: cluster.adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  try {
    await admin((c) => c.query(`CREATE DATABASE ${TEMPLATE}`));
    await migrate(cluster.urlFor(TEMPLATE));
  } catch (error) {
    await cluster.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  log(`postgres: embedded, port ${cluster.port}, data in ${dataDir}`);
  let counter = 0;
  return {
    adminUrl: cluster.adminUrl,
    async freshDatabase(prefix) {
      const name = `${prefix}_${++counter}`;
      await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`));
      return cluster.urlFor(name);
    },
    query: (databaseUrl, sql, params) => queryOnce(databaseUrl, sql, params),
    async transactions(databaseUrl) {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        await c.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
        const r = await c.query('SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()');
        return Number(r.rows[0].n);
      } finally {
        await c.end();
      }
    },
    async stop() {
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
