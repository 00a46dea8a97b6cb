// The sync service the hardening suites lie through: built in process on its own test
// database (no socket; devices reach it with server.inject), with the superuser's Dba.
import type { Server } from '@hapi/hapi';
import { testConfig } from '../../../sync-service/src/config.ts';
import { openDatabase } from '../../../sync-service/src/db/index.ts';
import { createServer } from '../../../sync-service/src/server.ts';
import { createTestDatabase } from '../../support/database.ts';
import { Dba } from './lying-server.ts';

export interface HardeningService { server: Server; dba: Dba; stop: () => Promise<void> }

/** A fresh database named after `name`, migrated, and the service on it (logins not rate limited). */
export async function startHardeningService(name: string): Promise<HardeningService> {
  const testDb = await createTestDatabase(name);
  const database = openDatabase(testDb.url);
  let server: Server | undefined;
  const stop = async () => {
    await server?.stop();
    await database.close();
    await testDb.drop();
  };
  try {
    server = await createServer(testConfig({ loginRateLimitPerMinute: 100_000 }), { database });
    await server.initialize();
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, dba: new Dba(testDb), stop };
}
