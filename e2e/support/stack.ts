import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../db/embedded.ts';
import { testConfig, type Config } from '../../sync-service/src/config.ts';
import { startService, type RunningService } from '../../sync-service/src/start.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';

export const DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/pwa');

export interface Stack {
  /** http://localhost:PORT — a secure context, so service workers and WebCrypto work. */
  url: string;
  port: number;
  database: TestDatabase;
  config: Config;
  service: RunningService | undefined;
  /** Stop the service (the database stays): for "server down" journeys. */
  stopService(): Promise<void>;
  /** Start the service again on the same port and database. */
  startServiceAgain(): Promise<void>;
  stop(): Promise<void>;
}

/** The real sync service on a fresh database of the run's embedded Postgres, serving the built PWA. */
export async function startStack(overrides: Partial<Config> = {}): Promise<Stack> {
  const database = await createTestDatabase('e2e');
  const port = await freePort();
  const config = testConfig({
    port,
    host: '127.0.0.1',
    staticDir: DIST_DIR,
    origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
    ...overrides,
  });
  const stack: Stack = {
    url: `http://localhost:${port}`,
    port,
    database,
    config,
    service: await startService(config, database.url),
    async stopService() {
      await stack.service?.stop();
      stack.service = undefined;
    },
    async startServiceAgain() {
      if (!stack.service) stack.service = await startService(config, database.url);
    },
    async stop() {
      await stack.stopService();
      await database.drop();
    },
  };
  return stack;
}
