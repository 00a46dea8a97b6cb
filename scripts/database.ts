import pg from 'pg';
import { spawnEmbeddedPostgres } from '../db/embedded-process.ts';
import { loadConfig } from '../sync-service/src/config.ts';

export const EMBEDDED_DATABASE_NAME = 'messagehub';

export interface OpenedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set (nothing is started); otherwise the embedded Postgres in DATA_DIR. */
export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<OpenedDatabase> {
  const config = loadConfig(env);
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const cluster = await spawnEmbeddedPostgres({ dataDir: config.dataDir });
  try {
    const client = new pg.Client({ connectionString: cluster.adminUrl });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE_NAME]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { url: cluster.urlFor(EMBEDDED_DATABASE_NAME), embedded: true, stop: () => cluster.stop() };
}
