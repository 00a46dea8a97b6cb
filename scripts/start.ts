// `npm start`: build the app if needed, start (or reach) Postgres, migrate, serve app and API on one port.
import { migrate } from '../db/migrate.ts';
import { ConfigError, loadConfig } from '../sync-service/src/config.ts';
import { startService } from '../sync-service/src/start.ts';
import { buildIfStale } from './build-if-stale.ts';
import { openDatabase } from './database.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  buildIfStale(config.staticDir);
  const database = await openDatabase();
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping MessageHub…`);
    await service?.stop().catch((e) => console.error(`error while stopping the service: ${e.message}`));
    await database.stop().catch((e) => console.error(`error while stopping Postgres: ${e.message}`));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const { applied, version } = await migrate(database.url);
    if (applied.length) console.log(`migrated the database to schema version ${version}`);
    service = await startService(config, database.url);
  } catch (error) {
    await database.stop();
    throw error;
  }
  console.log(`MessageHub is running at ${service.url} (database: ${database.embedded ? `embedded, in ${config.dataDir}` : 'DATABASE_URL'})`);
}

main().catch((error: Error) => {
  // Expected failures (bad setting, busy port or data directory) get one line, not a stack trace.
  const expected = error instanceof ConfigError || ['PortInUseError', 'DataDirectoryInUseError', 'DataDirectoryUnreachableError', 'SchemaAheadError'].includes(error.name);
  console.error(`messagehub: ${expected ? error.message : error.stack ?? error.message}`);
  process.exit(1);
});
