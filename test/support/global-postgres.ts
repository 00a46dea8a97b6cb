import type { TestProject } from 'vitest/node';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnEmbeddedPostgres } from '../../db/embedded-process.ts';
import { migrate } from '../../db/migrate.ts';

export const TEMPLATE_DATABASE = 'messagehub_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's embedded Postgres; the template database is migrated. */
    postgresAdminUrl: string;
  }
}

/**
 * One embedded Postgres for the whole test run (unless TEST_DATABASE_URL names a
 * server's admin database). The migrated template lets each test file create a
 * fresh database in milliseconds (test/support/database.ts).
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-test-pg-'));
    await chmod(dataDir, 0o700);
    // A disposable cluster: nothing in it must survive a crash of the machine, so it
    // skips fsync. The one test that crashes Postgres (crash-without-loss) runs its own
    // cluster with full durability.
    const cluster = await spawnEmbeddedPostgres({
      dataDir,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    adminUrl = cluster.adminUrl;
    stop = async () => {
      await cluster.stop();
      // Retried: a Postgres child can still be writing (pg_logical) as stop() returns,
      // which made the removal fail with ENOTEMPTY at the end of a run.
      await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    };
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
  await client.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await client.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  await migrate(templateUrl.toString());
  project.provide('postgresAdminUrl', adminUrl);
  return stop;
}
